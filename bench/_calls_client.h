/* What the calls load generators (_amp_client.c, _pb_client.c) share: one connection that
 * keeps <inFlight> calls outstanding, a new one sent for each answer, measured in rounds.
 * Prints {"phase":"measuring"} when measuring starts, then one JSON line:
 * {"perRound":[calls/s...],"clientCpu":<fraction of a core>}. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

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
  return fd;
}

static void send_all(int fd, const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      die("write");
    }
    p += w;
    n -= (size_t)w;
  }
}

/* Writes one call at p and returns its length. */
typedef size_t (*make_call_fn)(unsigned char *p);
/* Parses complete answers in buf[0..len), counting them; returns the bytes consumed. */
typedef size_t (*parse_fn)(const unsigned char *buf, size_t len, long long *answers);

static int calls(int port, int inflight, int warmup, int round_ms, int rounds, const unsigned char *hello,
                 size_t hello_len, make_call_fn make_call, parse_fn parse) {
  int fd = dial(port);
  static unsigned char out[1 << 20], in[1 << 20];
  size_t have = 0, n = hello_len;
  memcpy(out, hello, hello_len);
  for (int i = 0; i < inflight; i++) n += make_call(out + n);
  send_all(fd, out, n);
  long long answers = 0, round0 = 0;
  double *per = calloc(rounds, sizeof(double));
  double start = now_ms(), measuring_at = start + warmup, round_start = 0, cpu0 = 0, t0 = 0;
  int round = -1;
  while (round < rounds) {
    ssize_t r = read(fd, in + have, sizeof in - have);
    if (r <= 0) {
      if (r < 0 && errno == EINTR) continue;
      fprintf(stderr, "connection closed\n");
      return 1;
    }
    have += (size_t)r;
    long long before = answers;
    size_t used = parse(in, have, &answers);
    memmove(in, in + used, have - used);
    have -= used;
    n = 0;
    for (long long i = before; i < answers; i++) n += make_call(out + n);
    if (n > 0) send_all(fd, out, n);
    double t = now_ms();
    if (round < 0 && t >= measuring_at) {
      printf("{\"phase\":\"measuring\"}\n");
      fflush(stdout);
      round = 0;
      round_start = t0 = t;
      cpu0 = cpu_ms();
      round0 = answers;
    } else if (round >= 0 && t - round_start >= round_ms) {
      per[round++] = (answers - round0) * 1000.0 / (t - round_start);
      round_start = t;
      round0 = answers;
    }
  }
  double wall = now_ms() - t0, cpu = cpu_ms() - cpu0;
  printf("{\"perRound\":[");
  for (int r = 0; r < rounds; r++) printf("%s%.1f", r ? "," : "", per[r]);
  printf("],\"clientCpu\":%.4f}\n", cpu / wall);
  return 0;
}

/* The command line both clients take: calls <port> <inFlight> <warmupMs> <roundMs> <rounds>. */
static int calls_main(int argc, char **argv, const unsigned char *hello, size_t hello_len,
                      make_call_fn make_call, parse_fn parse) {
  if (argc >= 7 && strcmp(argv[1], "calls") == 0)
    return calls(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]), hello,
                 hello_len, make_call, parse);
  fprintf(stderr, "usage: calls <port> <inFlight> <warmupMs> <roundMs> <rounds>\n");
  return 2;
}
