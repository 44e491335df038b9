/* The TCP echo load generator for tcp_echo_bench.ts, in C so that it is never the
 * bottleneck (a node:net or Bun client needs as much CPU as the server it drives).
 * tcp_echo_bench.ts builds it with gcc -O2 into /tmp; without gcc the bench falls back
 * to bench/_echo_client.ts. Same output as that script:
 *   pingpong <port> <conns> <warmupMs> <roundMs> <rounds>
 *   stream <port> <bytes>
 * Each prints {"phase":"measuring"} when measuring starts, then one JSON result line. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG 64

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double cpu_ms(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
         (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

/* A connected, non-blocking socket with TCP_NODELAY. */
static int dial(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

static void send_all(int fd, const char *p, size_t n) {
  /* 64 bytes into an empty socket buffer: never short in ping-pong. */
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      die("write");
    }
    p += w;
    n -= (size_t)w;
  }
}

static int pingpong(int port, int conns, int warmup, int round_ms, int rounds) {
  int ep = epoll_create1(0);
  int *got = calloc(conns, sizeof(int));
  char msg[MSG], buf[65536];
  memset(msg, 'a', MSG);
  for (int i = 0; i < conns; i++) {
    int fd = dial(port);
    struct epoll_event ev = {.events = EPOLLIN, .data = {.u64 = ((uint64_t)i << 32) | (uint32_t)fd}};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    send_all(fd, msg, MSG);
  }
  long long trips = 0;
  double *per = calloc(rounds, sizeof(double));
  double start = now_ms(), measuring_at = start + warmup, round_start = 0, cpu0 = 0, t0 = 0;
  long long round_trips0 = 0;
  int round = -1;
  struct epoll_event evs[256];
  while (round < rounds) {
    int n = epoll_wait(ep, evs, 256, 100);
    for (int k = 0; k < n; k++) {
      int fd = (int)(uint32_t)evs[k].data.u64, i = (int)(evs[k].data.u64 >> 32);
      ssize_t r = read(fd, buf, sizeof buf);
      if (r <= 0) {
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        fprintf(stderr, "connection %d closed\n", i);
        return 1;
      }
      got[i] += (int)r;
      while (got[i] >= MSG) {
        got[i] -= MSG;
        trips++;
        send_all(fd, msg, MSG);
      }
    }
    double t = now_ms();
    if (round < 0 && t >= measuring_at) {
      printf("{\"phase\":\"measuring\"}\n");
      fflush(stdout);
      round = 0;
      round_start = t0 = now_ms();
      cpu0 = cpu_ms();
      round_trips0 = trips;
    } else if (round >= 0 && t - round_start >= round_ms) {
      per[round++] = (trips - round_trips0) * 1000.0 / (t - round_start);
      round_start = t;
      round_trips0 = trips;
    }
  }
  double wall = now_ms() - t0, cpu = cpu_ms() - cpu0;
  printf("{\"perRound\":[");
  for (int r = 0; r < rounds; r++) printf("%s%.1f", r ? "," : "", per[r]);
  printf("],\"clientCpu\":%.4f}\n", cpu / wall);
  return 0;
}

static int stream(int port, long long bytes) {
  int fd = dial(port);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data = {.fd = fd}};
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  static char out[65536], in[262144];
  memset(out, 'b', sizeof out);
  long long sent = 0, received = 0;
  printf("{\"phase\":\"measuring\"}\n");
  fflush(stdout);
  double t0 = now_ms(), cpu0 = cpu_ms();
  int writing = 1;
  while (received < bytes) {
    struct epoll_event e;
    if (epoll_wait(ep, &e, 1, 1000) <= 0) continue;
    if (e.events & EPOLLOUT) {
      while (sent < bytes) {
        size_t n = bytes - sent < (long long)sizeof out ? (size_t)(bytes - sent) : sizeof out;
        ssize_t w = write(fd, out, n);
        if (w < 0) {
          if (errno == EAGAIN) break;
          die("write");
        }
        sent += w;
      }
      if (sent >= bytes && writing) {
        writing = 0;
        ev.events = EPOLLIN;
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
      }
    }
    if (e.events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
      for (;;) {
        ssize_t r = read(fd, in, sizeof in);
        if (r < 0 && errno == EAGAIN) break;
        if (r <= 0) {
          fprintf(stderr, "closed after %lld bytes\n", received);
          return 1;
        }
        received += r;
      }
    }
  }
  double wall = now_ms() - t0, cpu = cpu_ms() - cpu0;
  printf("{\"mbps\":%.2f,\"clientCpu\":%.4f}\n", bytes / 1e6 / (wall / 1e3), cpu / wall);
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 7 && strcmp(argv[1], "pingpong") == 0)
    return pingpong(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]));
  if (argc >= 4 && strcmp(argv[1], "stream") == 0) return stream(atoi(argv[2]), atoll(argv[3]));
  fprintf(stderr, "usage: pingpong <port> <conns> <warmupMs> <roundMs> <rounds> | stream <port> <bytes>\n");
  return 2;
}
