// Preloaded (-r) into the processes bench/_startup.ts times: reports the process's whole CPU time
// (user + system, start-up included) on stderr at exit. A CommonJS file so that it loads in ~0 ms.
process.on('exit', () => {
  const u = process.cpuUsage();
  require('node:fs').writeSync(2, `\nDUMPKIT_BENCH_CPU_MS ${(u.user + u.system) / 1000}\n`);
});
