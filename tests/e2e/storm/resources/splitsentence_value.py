"""splitsentence.py reading the `value` field of Storm's default Kafka record translator
(topic, partition, offset, key, value)."""

import storm


class SplitSentenceBolt(storm.BasicBolt):
    def process(self, tup):
        for word in tup.values[4].split(" "):
            storm.emit([word])


SplitSentenceBolt().run()
