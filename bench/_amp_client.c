/* The AMP load generator for amp_bench.ts, in C so that it is never the bottleneck.
 * amp_bench.ts builds it with gcc -O2 into /tmp.
 *   calls <port> <inFlight> <warmupMs> <roundMs> <rounds>
 * One connection; keeps <inFlight> Sum calls (_ask, _command "Sum", a, b) outstanding,
 * sending a new one for each answer, and checks every answer's total. Prints
 * {"phase":"measuring"} when measuring starts, then one JSON line:
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

static size_t put(unsigned char *p, const char *s, size_t n) {
  p[0] = (unsigned char)(n >> 8);
  p[1] = (unsigned char)n;
  memcpy(p + 2, s, n);
  return n + 2;
}

static long long next_tag = 0;

/* Appends one Sum call (keys in byte order, as AMP writes them) at p. */
static size_t sum_call(unsigned char *p) {
  char tag[24], a[24];
  long long t = ++next_tag;
  int tl = snprintf(tag, sizeof tag, "%llx", t);
  int al = snprintf(a, sizeof a, "%lld", t % 1000);
  size_t n = 0;
  n += put(p + n, "_ask", 4);
  n += put(p + n, tag, (size_t)tl);
  n += put(p + n, "_command", 8);
  n += put(p + n, "Sum", 3);
  n += put(p + n, "a", 1);
  n += put(p + n, a, (size_t)al);
  n += put(p + n, "b", 1);
  n += put(p + n, "7", 1);
  p[n++] = 0;
  p[n++] = 0;
  return n;
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

/* Parses complete boxes in buf[0..len); returns the bytes consumed and counts answers. */
static size_t parse(const unsigned char *buf, size_t len, long long *answers) {
  size_t at = 0;
  for (;;) {
    size_t p = at;
    long long tag = -1, total = -1;
    int complete = 0;
    while (p + 2 <= len) {
      size_t kl = ((size_t)buf[p] << 8) | buf[p + 1];
      if (kl == 0) {
        p += 2;
        complete = 1;
        break;
      }
      if (p + 2 + kl + 2 > len) break;
      const unsigned char *k = buf + p + 2;
      size_t vl = ((size_t)buf[p + 2 + kl] << 8) | buf[p + 3 + kl];
      if (p + 4 + kl + vl > len) break;
      const unsigned char *v = buf + p + 4 + kl;
      char tmp[32];
      size_t m = vl < 31 ? vl : 31;
      if (kl == 7 && memcmp(k, "_answer", 7) == 0) {
        memcpy(tmp, v, m);
        tmp[m] = 0;
        tag = strtoll(tmp, NULL, 16);
      } else if (kl == 5 && memcmp(k, "total", 5) == 0) {
        memcpy(tmp, v, m);
        tmp[m] = 0;
        total = strtoll(tmp, NULL, 10);
      } else if (kl == 6 && memcmp(k, "_error", 6) == 0) {
        fprintf(stderr, "error answer\n");
        exit(1);
      }
      p += 4 + kl + vl;
    }
    if (!complete) return at;
    if (tag < 0 || total != tag % 1000 + 7) {
      fprintf(stderr, "bad answer: tag %lld total %lld\n", tag, total);
      exit(1);
    }
    (*answers)++;
    at = p;
  }
}

static int calls(int port, int inflight, int warmup, int round_ms, int rounds) {
  int fd = dial(port);
  static unsigned char out[1 << 20], in[1 << 20];
  size_t have = 0, n = 0;
  for (int i = 0; i < inflight; i++) n += sum_call(out + n);
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
    for (long long i = before; i < answers; i++) n += sum_call(out + n);
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

int main(int argc, char **argv) {
  if (argc >= 7 && strcmp(argv[1], "calls") == 0)
    return calls(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]));
  fprintf(stderr, "usage: calls <port> <inFlight> <warmupMs> <roundMs> <rounds>\n");
  return 2;
}
