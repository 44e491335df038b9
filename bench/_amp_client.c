/* The AMP load generator for amp_bench.ts, in C so that it is never the bottleneck.
 * amp_bench.ts builds it with gcc -O2 into /tmp.
 *   calls <port> <inFlight> <warmupMs> <roundMs> <rounds>
 * One connection; keeps <inFlight> Sum calls (_ask, _command "Sum", a, b) outstanding,
 * sending a new one for each answer, and checks every answer's total. Prints
 * {"phase":"measuring"} when measuring starts, then one JSON line:
 * {"perRound":[calls/s...],"clientCpu":<fraction of a core>}. */
#include "_calls_client.h"

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

int main(int argc, char **argv) {
  return calls_main(argc, argv, (const unsigned char *)"", 0, sum_call, parse);
}
