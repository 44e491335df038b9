/* The Perspective Broker load generator for pb_bench.ts, in C so that it is never the
 * bottleneck. pb_bench.ts builds it with gcc -O2 into /tmp.
 *   calls <port> <inFlight> <warmupMs> <roundMs> <rounds>
 * One connection speaking Banana's pb dialect; keeps <inFlight> calls of root.add(a, 7)
 * outstanding, sending a new one for each answer, and checks every answer. Prints
 * {"phase":"measuring"} when measuring starts, then one JSON line:
 * {"perRound":[calls/s...],"clientCpu":<fraction of a core>}. */
#include "_calls_client.h"

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

/* Choose the pb dialect and say the version before the first calls. */
static const unsigned char hello[] = {0x02, 0x82, 'p', 'b', 0x02, 0x80, 0x13, 0x87, 0x06, 0x81};

int main(int argc, char **argv) {
  return calls_main(argc, argv, hello, sizeof hello, add_call, parse);
}
