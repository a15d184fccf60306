/*
 * dumpkit-core-forward: what the kernel runs per crash when dumpkit's handler is resident
 * (`dumpkit handler install --resident`, docs/handler.md). It starts in a millisecond, where a
 * Node process takes hundreds: it hands the crash to `dumpkit handler daemon` over a Unix socket
 * and waits for the daemon's one byte saying the core is read.
 *
 * Message: "DKF1", the length of what follows (uint32, little-endian), then the kernel's
 * arguments (%P %i %s %t %e), each ending in NUL; sent with SCM_RIGHTS carrying standard input
 * (the core's pipe) and, when it opens, a descriptor of the /proc/PID directory (the daemon reads
 * the held process's files through it).
 *
 * When the daemon cannot be reached, or goes away before its byte, no crash is lost: the forwarder
 * becomes the per-crash Node handler (`node dumpkit.cjs handler core [--config FILE] -- ARGS`),
 * with standard input still open. dumpkit compiles it with these paths defined:
 * DK_SOCKET, DK_NODE, DK_ENTRY, DK_CONFIG ("" for the default), DK_WAIT_SECONDS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void become_node_handler(int argc, char **argv) {
  char *args[72];
  int n = 0;
  args[n++] = DK_NODE;
  args[n++] = DK_ENTRY;
  args[n++] = "handler";
  args[n++] = "core";
  if (DK_CONFIG[0]) {
    args[n++] = "--config";
    args[n++] = DK_CONFIG;
  }
  args[n++] = "--";
  for (int i = 1; i < argc && n < 71; i++) args[n++] = argv[i];
  args[n] = NULL;
  execv(DK_NODE, args);
  _exit(127);
}

int main(int argc, char **argv) {
  char msg[4096];
  uint32_t len = 0;
  for (int i = 1; i < argc; i++) {
    size_t l = strlen(argv[i]) + 1;
    if (8 + len + l > sizeof msg) become_node_handler(argc, argv);
    memcpy(msg + 8 + len, argv[i], l);
    len += (uint32_t)l;
  }
  memcpy(msg, "DKF1", 4);
  memcpy(msg + 4, &len, 4); /* x86_64, aarch64, i386: little-endian */

  int fds[2] = {0, -1};
  int nfds = 1;
  if (argc > 1 && argv[1][0] >= '0' && argv[1][0] <= '9' && strlen(argv[1]) < 16) {
    char proc[32];
    snprintf(proc, sizeof proc, "/proc/%s", argv[1]);
    fds[1] = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fds[1] >= 0) nfds = 2;
  }

  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, DK_SOCKET, sizeof addr.sun_path - 1);
  if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) != 0) become_node_handler(argc, argv);

  union {
    char buf[CMSG_SPACE(sizeof fds)];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = {.iov_base = msg, .iov_len = 8 + len};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = CMSG_SPACE(nfds * sizeof(int))};
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
  memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
  if (sendmsg(s, &mh, MSG_NOSIGNAL) != (ssize_t)(8 + len)) {
    close(s);
    become_node_handler(argc, argv);
  }
  if (fds[1] >= 0) close(fds[1]);

  /* The daemon has its own time cap; this one only makes sure the crashed process is let go. */
  alarm(DK_WAIT_SECONDS);
  char done;
  ssize_t r;
  do r = read(s, &done, 1);
  while (r < 0 && errno == EINTR);
  if (r == 1) return 0;
  /* The daemon went away before reading the core to its end: the Node handler takes what is left. */
  close(s);
  become_node_handler(argc, argv);
  return 0;
}
