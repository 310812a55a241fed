// A slow spout written against Storm's multilang protocol directly, the way storm-starter's
// randomsentence.js runs under storm.js: each nextTuple emits one reliable tuple carrying its
// emit time, then takes SLOW_SPOUT_SLEEP seconds (default 0.15) before it syncs, so the engine
// must not wait for the sync to send the tuple on. Acks, fails, activate and deactivate are
// logged, so a test can see when they reached the child.
'use strict';
const fs = require('fs');
const path = require('path');

const sleepMs = 1000 * parseFloat(process.env.SLOW_SPOUT_SLEEP || '0.15');
let buffer = '';
let count = 0;
let handshakeDone = false;

function send(message) {
  process.stdout.write(JSON.stringify(message) + '\nend\n');
}

function log(text) {
  send({command: 'log', msg: text});
}

function handle(message) {
  if (!handshakeDone) {
    handshakeDone = true;
    fs.closeSync(fs.openSync(path.join(message.pidDir, String(process.pid)), 'w'));
    send({pid: process.pid});
    return;
  }
  switch (message.command) {
    case 'next':
      send({command: 'emit', id: String(count), tuple: [count, Date.now() / 1000],
            need_task_ids: false});
      count += 1;
      setTimeout(() => send({command: 'sync'}), sleepMs);
      return;
    case 'ack':
      log('slow spout acked ' + message.id);
      break;
    case 'fail':
      log('slow spout failed ' + message.id);
      break;
    default:  // activate, deactivate
      log('slow spout ' + message.command);
  }
  send({command: 'sync'});
}

process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let end;
  while ((end = buffer.indexOf('\nend\n')) >= 0) {
    const text = buffer.slice(0, end);
    buffer = buffer.slice(end + 5);
    handle(JSON.parse(text));
  }
});
process.stdin.on('end', () => process.exit(0));
