#include "ui/prometheus.h"

#include <fmt/format.h>

#include <map>

#include "metrics/prometheus_text.h"

namespace squall::ui {

namespace {

// A label value with Prometheus' escapes, as valid UTF-8.
std::string escape(std::string_view v) {
  return metrics::prometheusEscape(validUtf8(v));
}

using metrics::prometheusNumber;
using Families = metrics::PrometheusText;

std::string labels(const std::string& topology, const std::string& component, int task) {
  return fmt::format("topology=\"{}\",component=\"{}\",task=\"{}\"", escape(topology),
                     escape(component), task);
}

void latency(Families& f, const std::string& name, const char* help, const std::string& l,
             uint64_t ns, uint64_t samples) {
  f.add(name, "summary", help, l, prometheusNumber(static_cast<double>(ns) / 1e9), "_sum");
  f.add(name, "summary", help, l, std::to_string(samples), "_count");
}

void taskFamilies(Families& f, const TopologySnapshot& t) {
  for (const auto& s : t.windows[kAllTime]) {
    std::string base = labels(t.name, s.component, s.task);
    bool spout = t.plan->findComponent(s.component) &&
                 t.plan->findComponent(s.component)->kind == ComponentKind::Spout;
    for (size_t i = 0; i < s.totals.outputs.size() && i < s.outputStreams->size(); ++i) {
      const auto& o = s.totals.outputs[i];
      std::string l = fmt::format("{},stream=\"{}\"", base, escape((*s.outputStreams)[i]));
      f.add("squall_emitted_total", "counter", "Tuples emitted (Storm's emitted).", l,
            std::to_string(o.emitted));
      f.add("squall_transferred_total", "counter",
            "Tuples sent to destination tasks (Storm's transferred).", l,
            std::to_string(o.transferred));
      if (spout) {
        f.add("squall_acked_total", "counter", "Tuples acked (spouts: trees completed).", l,
              std::to_string(o.acked));
        f.add("squall_failed_total", "counter", "Tuples failed (spouts: trees failed).", l,
              std::to_string(o.failed));
        latency(f, "squall_complete_latency_seconds",
                "Sampled time from a spout's emit to its tree's completion.", l, o.completeNs,
                o.completeSamples);
      }
    }
    for (size_t i = 0; i < s.totals.inputs.size() && i < s.inputs->size(); ++i) {
      const auto& in = s.totals.inputs[i];
      const auto& [source, stream] = (*s.inputs)[i];
      std::string l = fmt::format("{},source_component=\"{}\",stream=\"{}\"", base, escape(source),
                                  escape(stream));
      f.add("squall_executed_total", "counter", "Tuples a bolt executed (Storm's executed).", l,
            std::to_string(in.executed));
      f.add("squall_acked_total", "counter", "Tuples acked (spouts: trees completed).", l,
            std::to_string(in.acked));
      f.add("squall_failed_total", "counter", "Tuples failed (spouts: trees failed).", l,
            std::to_string(in.failed));
      latency(f, "squall_execute_latency_seconds", "Sampled time inside a bolt's execute().", l,
              in.executeNs, in.executeSamples);
      latency(f, "squall_process_latency_seconds",
              "Sampled time from the start of execute() to the bolt's ack.", l, in.processNs,
              in.processSamples);
    }
  }
}

void capacityFamily(Families& f, const TopologySnapshot& t) {
  // Storm's capacity per executor: the share of the last 10 minutes spent in execute().
  std::map<int, uint64_t> busy;
  for (const auto& s : t.windows[kAllTime]) busy[s.executorStart] += s.busyNsTenMinutes;
  double secs = std::min(std::max(t.uptimeSecs, 1.0), 600.0);
  for (const auto& ep : t.executors) {
    const auto* cp = t.plan->findComponent(ep.componentId);
    if (!cp || cp->kind != ComponentKind::Bolt) continue;
    auto it = busy.find(ep.startTask);
    if (it == busy.end()) continue;
    f.add("squall_capacity", "gauge",
          "Share of the last 10 minutes a bolt executor spent in execute() (Storm's capacity).",
          fmt::format("topology=\"{}\",component=\"{}\",executor=\"[{}-{}]\"", escape(t.name),
                      escape(ep.componentId), ep.startTask, ep.endTask),
          prometheusNumber(static_cast<double>(it->second) / 1e9 / secs));
  }
}

// Each executor's queue now: what waits to be executed here, or, for a worker's stand-in for
// another worker's executor, to be sent there. A full receive queue is backpressure.
void queueFamilies(Families& f, const TopologySnapshot& t) {
  for (const auto& q : t.queues) {
    std::string l =
        fmt::format("topology=\"{}\",component=\"{}\",executor=\"[{}-{}]\"", escape(t.name),
                    escape(q.executor.componentId), q.executor.startTask, q.executor.endTask);
    if (q.local) {
      f.add("squall_receive_queue_depth", "gauge",
            "Tuples waiting in an executor's receive queue (approximate).", l,
            std::to_string(q.depth));
      f.add("squall_receive_queue_capacity", "gauge",
            "Capacity of an executor's receive queue (topology.executor.receive.buffer.size).", l,
            std::to_string(q.capacity));
      f.add("squall_executor_backpressure", "gauge",
            "1 from when a producer found the executor's receive queue full until it drains to "
            "half.",
            l, q.backpressure ? "1" : "0");
      f.add("squall_executor_backpressure_engaged_total", "counter",
            "How many times the executor's receive queue went under backpressure.", l,
            std::to_string(q.backpressureEngaged));
    } else {
      f.add("squall_send_queue_depth", "gauge",
            "Tuples waiting to be sent to the worker that runs the executor (approximate).", l,
            std::to_string(q.depth));
      // Storm 2's back-pressure status from the peer, or this worker's own queue for it full:
      // either way, producers here are being held back for that executor.
      f.add("squall_send_backpressure", "gauge",
            "1 while the worker that runs the executor reports it under backpressure, or the "
            "queue of tuples waiting to be sent to it is full, else 0.",
            l, q.peerBackpressure || q.backpressure ? "1" : "0");
    }
  }
}

// Each shell task's multilang child: CPU and memory read from /proc at the scrape (a series
// starts over with each new child), and the task's restarts since the topology started.
void childFamilies(Families& f, const std::string& topology,
                   const std::vector<ShellChildSample>& children) {
  for (const auto& c : children) {
    std::string l = labels(topology, c.component, c.task);
    f.add("squall_multilang_child_up", "gauge",
          "1 while the shell task's multilang child is running.", l, c.running ? "1" : "0");
    if (c.running) {
      f.add("squall_multilang_child_cpu_seconds_total", "counter",
            "User and system CPU time of the running multilang child, in seconds.", l,
            prometheusNumber(c.cpuSeconds));
      f.add("squall_multilang_child_resident_memory_bytes", "gauge",
            "Resident memory of the running multilang child, in bytes.", l,
            std::to_string(c.residentBytes));
    }
    f.add("squall_multilang_child_restarts_total", "counter",
          "Children started for the shell task after its first one.", l,
          std::to_string(c.starts > 0 ? c.starts - 1 : 0));
    f.add("squall_multilang_child_failures_total", "counter",
          "Multilang children of the shell task that failed: exited, broke the protocol, timed "
          "out or did not start.",
          l, std::to_string(c.failures));
    f.add("squall_multilang_child_reads_total", "counter",
          "Reads of the shell task's children's output that brought bytes; messages per read "
          "shows how well the reader coalesces (squall.multilang.read.coalesce.micros).",
          l, std::to_string(c.reads));
    f.add("squall_multilang_child_messages_total", "counter",
          "Multilang messages the shell task's children sent.", l, std::to_string(c.messages));
  }
}

// A number, a bool, or Storm's multi-count shape (a map of numbers, one line per key).
void valueLines(Families& f, const char* family, const char* help, const std::string& base,
                const Value& v) {
  if (v.isNumber()) {
    f.add(family, "gauge", help, base, prometheusNumber(v.asDouble()));
  } else if (v.isBool()) {
    f.add(family, "gauge", help, base, v.asBool() ? "1" : "0");
  } else if (v.isMap()) {
    for (const auto& [k, e] : v.asMap()) {
      if (!e.isNumber()) continue;
      f.add(family, "gauge", help, fmt::format("{},key=\"{}\"", base, escape(k)),
            prometheusNumber(e.asDouble()));
    }
  }
}

// A task's metric: reported (multilang `metrics`, a Storm 1 IMetric's bucket) or registered
// (Storm 2's counters, gauges, histograms and meters).
void userMetric(Families& f, const std::string& topology, const MetricSample& m) {
  std::string base =
      fmt::format("{},name=\"{}\"", labels(topology, m.component, m.task), escape(m.name));
  switch (m.kind) {
    case MetricKind::Reported:
      valueLines(f, "squall_task_metric",
                 "The latest value a task reported for a metric (multilang `metrics`, a Storm 1 "
                 "IMetric's last bucket).",
                 base, m.value);
      f.add("squall_task_metric_updates_total", "counter",
            "How many times a task reported a metric.", base, std::to_string(m.updates));
      break;
    case MetricKind::Counter:
      f.add("squall_user_counter_total", "counter",
            "A counter a task registered (TopologyContext::registerCounter).", base,
            m.value.toString());
      break;
    case MetricKind::Gauge:
      valueLines(f, "squall_user_gauge", "A gauge a task registered (registerGauge).", base,
                 m.value);
      break;
    case MetricKind::Histogram: {
      const char* help =
          "A histogram a task registered (registerHistogram): quantiles since the task started.";
      const auto& h = m.histogram;
      std::pair<const char*, double> qs[] = {{"0.5", h.p50},  {"0.75", h.p75}, {"0.95", h.p95},
                                             {"0.98", h.p98}, {"0.99", h.p99}, {"0.999", h.p999}};
      for (auto [q, v] : qs) {
        f.add("squall_user_histogram", "summary", help, fmt::format("{},quantile=\"{}\"", base, q),
              prometheusNumber(v));
      }
      f.add("squall_user_histogram", "summary", help, base, std::to_string(h.sum), "_sum");
      f.add("squall_user_histogram", "summary", help, base, std::to_string(h.count), "_count");
      break;
    }
    case MetricKind::Meter: {
      f.add("squall_user_meter_total", "counter",
            "Marks of a meter a task registered (registerMeter).", base,
            std::to_string(m.meter.count));
      const char* help =
          "A meter's rate per second: 1, 5 and 15-minute moving averages and the mean.";
      std::pair<const char*, double> rates[] = {{"1m", m.meter.m1Rate},
                                                {"5m", m.meter.m5Rate},
                                                {"15m", m.meter.m15Rate},
                                                {"mean", m.meter.meanRate}};
      for (auto [w, v] : rates) {
        f.add("squall_user_meter_rate", "gauge", help, fmt::format("{},window=\"{}\"", base, w),
              prometheusNumber(v));
      }
      break;
    }
  }
}

}  // namespace

std::string prometheusText(const std::vector<PrometheusInput>& topologies) {
  metrics::PrometheusText f;
  prometheusText(topologies, f);
  return f.text();
}

void prometheusText(const std::vector<PrometheusInput>& topologies, metrics::PrometheusText& f) {
  for (const auto& in : topologies) {
    const TopologySnapshot& t = *in.topology;
    std::string tl = fmt::format("topology=\"{}\",id=\"{}\"", escape(t.name), escape(t.id));
    f.add("squall_topology_uptime_seconds", "gauge", "Seconds since the topology started.", tl,
          prometheusNumber(t.uptimeSecs));
    f.add("squall_topology_active", "gauge", "1 when the topology's spouts are active.", tl,
          t.status == "ACTIVE" ? "1" : "0");
    f.add("squall_topology_errors", "gauge",
          "Errors the topology's components reported (the newest 1000 are kept).", tl,
          std::to_string(t.errors.size()));
    f.add("squall_task_metrics_dropped_total", "counter",
          "Metric reports refused because the registry was full.", tl,
          std::to_string(in.metricsDropped));
    taskFamilies(f, t);
    capacityFamily(f, t);
    queueFamilies(f, t);
    childFamilies(f, t.name, in.children);
    for (const auto& m : in.metrics) userMetric(f, t.name, m);
    for (const auto& p : in.kafka) {
      std::string l =
          fmt::format("{},topic=\"{}\",partition=\"{}\"", labels(t.name, p.component, p.task),
                      escape(p.topic), p.partition);
      if (p.lag >= 0) {
        f.add("squall_kafka_lag", "gauge", "Log end offset minus committed offset.", l,
              std::to_string(p.lag));
      }
      if (p.committedOffset >= 0) {
        f.add("squall_kafka_committed_offset", "gauge", "The partition's committed offset.", l,
              std::to_string(p.committedOffset));
      }
      if (p.logEndOffset >= 0) {
        f.add("squall_kafka_log_end_offset", "gauge", "The partition's log end offset.", l,
              std::to_string(p.logEndOffset));
      }
      f.add("squall_kafka_records_emitted_total", "counter",
            "Records a spout task emitted from the partition.", l,
            std::to_string(p.recordsEmitted));
    }
  }
}

}  // namespace squall::ui
