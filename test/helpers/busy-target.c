/*
 * A process that does on demand what `dumpkit monitor` watches for: burns CPU, grows its memory,
 * spawns threads, opens files, receives or raises a signal, crashes. Commands come from argv (run
 * in order at start) and then from stdin, one per line; each is answered on stdout by one line that
 * starts with the command's word and ends with the wall-clock time in milliseconds (CLOCK_REALTIME)
 * at which its effect was complete, so a test can compare it with the monitor's event times.
 *
 *   burn [N]        N threads (default 1) spin until `idle`  -> "burn <ms>" (spinning from then on)
 *   idle            stop spinning                           -> "idle <ms>"
 *   grow N          malloc N MiB and touch every page       -> "grow <rss kB> <start ms> <ms>"
 *   threads N       N more threads that sleep                -> "threads <total> <ms>"
 *   files N         N more descriptors open on /dev/null     -> "files <open fds> <ms>"
 *   handle SIG      count SIG (a number) in a handler        -> "handle <ms>"
 *   received SIG    how many SIG the handler has counted     -> "received <n> <ms>"
 *   raise SIG       raise(SIG)                               -> "raise <ms>" (if it survives)
 *   crash KIND      segv | abrt | fpe | bus: die of it       -> "crash <ms>" just before
 *   ping                                                     -> "ping <pid> <ms>"
 *
 * It exits when stdin closes, so a test that dies leaves no process behind.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static atomic_int burning;
static int burners;
static pthread_mutex_t burn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t burn_cond = PTHREAD_COND_INITIALIZER;
static volatile sig_atomic_t counts[65];
static int extra_threads;

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Spins while `burning`; otherwise sleeps on a condition variable (no CPU at all). */
static void *burner(void *arg) {
  (void)arg;
  volatile unsigned long x = 0;
  for (;;) {
    while (atomic_load(&burning)) x++;
    pthread_mutex_lock(&burn_lock);
    while (!atomic_load(&burning)) pthread_cond_wait(&burn_cond, &burn_lock);
    pthread_mutex_unlock(&burn_lock);
  }
  return NULL;
}

static void *sleeper(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

static void on_signal(int sig) {
  if (sig > 0 && sig < 65) counts[sig]++;
}

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld", &kb) == 1) break;
  fclose(f);
  return kb;
}

static int open_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  struct dirent *e;
  if (!d) return -1;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n - 1; /* the directory's own descriptor */
}

static void crash(const char *kind) {
  printf("crash %lld\n", now_ms());
  fflush(stdout);
  if (!strcmp(kind, "segv")) {
    *(volatile int *)16 = 1;
  } else if (!strcmp(kind, "abrt")) {
    abort();
  } else if (!strcmp(kind, "fpe")) {
    volatile int zero = 0, one = 1; /* 1 / x with a constant 1 is compiled without a division */
    volatile int r = one / zero;
    (void)r;
  } else if (!strcmp(kind, "bus")) {
    FILE *f = tmpfile();
    volatile char *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fileno(f), 0);
    if (p != MAP_FAILED) (void)p[0]; /* past the end of an empty file: SIGBUS */
  }
  fprintf(stderr, "busy-target: crash %s did not crash\n", kind);
  exit(3);
}

static void command(char *line) {
  char word[32] = "";
  char arg[32] = "";
  if (sscanf(line, "%31s %31s", word, arg) < 1) return;
  long n = atol(arg);
  if (!strcmp(word, "burn")) {
    for (long i = burners; i < (n > 0 ? n : 1); i++) {
      pthread_t t;
      if (pthread_create(&t, NULL, burner, NULL) == 0) burners++;
    }
    pthread_mutex_lock(&burn_lock);
    atomic_store(&burning, 1);
    pthread_cond_broadcast(&burn_cond);
    pthread_mutex_unlock(&burn_lock);
    printf("burn %lld\n", now_ms());
  } else if (!strcmp(word, "idle")) {
    atomic_store(&burning, 0);
    printf("idle %lld\n", now_ms());
  } else if (!strcmp(word, "grow")) {
    long long start = now_ms();
    size_t size = (size_t)n << 20;
    char *p = malloc(size);
    if (!p) {
      printf("grow -1 %lld %lld\n", start, now_ms());
    } else {
      for (size_t i = 0; i < size; i += 4096) p[i] = (char)i | 1;
      printf("grow %ld %lld %lld\n", rss_kb(), start, now_ms());
    }
  } else if (!strcmp(word, "threads")) {
    for (long i = 0; i < n; i++) {
      pthread_t t;
      if (pthread_create(&t, NULL, sleeper, NULL) == 0) extra_threads++;
    }
    printf("threads %d %lld\n", extra_threads + 1 + burners, now_ms());
  } else if (!strcmp(word, "files")) {
    for (long i = 0; i < n; i++) open("/dev/null", O_RDONLY);
    printf("files %d %lld\n", open_fds(), now_ms());
  } else if (!strcmp(word, "handle")) {
    signal((int)n, on_signal);
    printf("handle %lld\n", now_ms());
  } else if (!strcmp(word, "received")) {
    printf("received %d %lld\n", n > 0 && n < 65 ? (int)counts[n] : -1, now_ms());
  } else if (!strcmp(word, "raise")) {
    raise((int)n);
    printf("raise %lld\n", now_ms());
  } else if (!strcmp(word, "crash")) {
    crash(arg);
  } else if (!strcmp(word, "ping")) {
    printf("ping %d %lld\n", (int)getpid(), now_ms());
  } else {
    printf("unknown %s\n", word);
  }
  fflush(stdout);
}

int main(int argc, char **argv) {
  char line[256];
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (int i = 1; i < argc; i++) {
    snprintf(line, sizeof line, "%s", argv[i]);
    for (char *c = line; *c; c++)
      if (*c == ':') *c = ' '; /* argv form: grow:50 */
    command(line);
  }
  while (fgets(line, sizeof line, stdin)) command(line);
  return 0; /* stdin closed: the test that drove us is gone */
}
