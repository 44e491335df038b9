/* The Perspective Broker load generator for pb_bench.ts, in C so that it is never the
 * bottleneck. pb_bench.ts builds it with gcc -O2 into /tmp.
 *   calls <port> <inFlight> <warmupMs> <roundMs> <rounds>
 * One connection speaking Banana's pb dialect; keeps <inFlight> calls of root.add(a, 7)
 * outstanding, sending a new one for each answer, and checks every answer. Prints
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

static long long next_id = 0;

/* Appends a Banana integer (base-128 digits, low first, then the INT type byte). */
static size_t put_int(unsigned char *p, long long v) {
  size_t n = 0;
  do {
    p[n++] = (unsigned char)(v & 0x7f);
    v >>= 7;
  } while (v > 0);
  p[n++] = 0x81;
  return n;
}

/* Appends one call of root.add(a, 7) in the pb dialect: ["message", id, "root", "add", 1,
 * ["tuple", a, 7], ["dictionary"]], the words as vocabulary numbers (message 26, tuple 11,
 * dictionary 5). */
static size_t add_call(unsigned char *p) {
  long long id = ++next_id;
  size_t n = 0;
  static const unsigned char head[] = {0x07, 0x80, 0x1a, 0x87};
  memcpy(p, head, sizeof head);
  n += sizeof head;
  n += put_int(p + n, id);
  static const unsigned char mid[] = {0x04, 0x82, 'r', 'o', 'o', 't', 0x03, 0x82, 'a', 'd',
                                      'd',  0x01, 0x81, 0x03, 0x80, 0x0b, 0x87};
  memcpy(p + n, mid, sizeof mid);
  n += sizeof mid;
  n += put_int(p + n, id % 1000);
  n += put_int(p + n, 7);
  static const unsigned char kw[] = {0x01, 0x80, 0x05, 0x87};
  memcpy(p + n, kw, sizeof kw);
  return n + sizeof kw;
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

/* Parses complete top-level expressions in buf[0..len); returns the bytes consumed and
 * counts answers (["answer", id, total], answer being vocabulary 27), checking each total.
 * The dialect offer and ["version", 6] are skipped; an error answer ends the run. */
static size_t parse(const unsigned char *buf, size_t len, long long *answers) {
  size_t at = 0;
  for (;;) {
    size_t p = at;
    long long remaining[16];
    int depth = 0;
    long long item[3] = {-1, -1, -1};
    int items = 0, types[3] = {0, 0, 0}, complete = 0;
    for (;;) {
      long long v = 0;
      int shift = 0;
      while (p < len && buf[p] < 0x80) v |= (long long)buf[p++] << (shift += 7, shift - 7);
      if (p >= len) break;
      int type = buf[p++];
      if (type == 0x82) {
        if (p + (size_t)v > len) break;
        p += (size_t)v;
      }
      if (depth == 1 && items < 3) {
        types[items] = type;
        item[items] = v;
      }
      if (depth == 1) items++;
      if (depth > 0) remaining[depth - 1]--;
      if (type == 0x80) {
        if (depth == 16) {
          fprintf(stderr, "too deep\n");
          exit(1);
        }
        remaining[depth++] = v;
      }
      while (depth > 0 && remaining[depth - 1] == 0) depth--;
      if (depth == 0) {
        complete = 1;
        break;
      }
    }
    if (!complete) return at;
    if (types[0] == 0x87 && item[0] == 28) {
      fprintf(stderr, "error answer\n");
      exit(1);
    }
    if (types[0] == 0x87 && item[0] == 27) {
      if (item[2] != item[1] % 1000 + 7) {
        fprintf(stderr, "bad answer: id %lld total %lld\n", item[1], item[2]);
        exit(1);
      }
      (*answers)++;
    }
    at = p;
  }
}

static int calls(int port, int inflight, int warmup, int round_ms, int rounds) {
  int fd = dial(port);
  static unsigned char out[1 << 20], in[1 << 20];
  size_t have = 0, n = 0;
  /* Choose the pb dialect, say the version, then the first calls. */
  static const unsigned char hello[] = {0x02, 0x82, 'p', 'b', 0x02, 0x80, 0x13, 0x87, 0x06, 0x81};
  memcpy(out, hello, sizeof hello);
  n += sizeof hello;
  for (int i = 0; i < inflight; i++) n += add_call(out + n);
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
    for (long long i = before; i < answers; i++) n += add_call(out + n);
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
