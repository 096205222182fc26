// relaymaild — the queue-runner daemon. Not yet built: this stub says so (see --help).
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    (void)std::puts(
        "usage: relaymaild\n"
        "The relaymail queue-runner daemon. Not yet implemented: daemon mode arrives with its\n"
        "own issue. Use delivery = \"background\", \"foreground\" or \"queue\" meanwhile, and\n"
        "run `relaymail flush` from cron or a systemd timer.");
    return 0;
  }
  (void)std::fputs("relaymaild: not yet implemented (see relaymaild --help)\n", stderr);
  return 69;
}
