// tests/bench/bench_empty.cc — a program that does nothing and exits 0: bench_relay times
// spawning it as the floor under every start-up figure (what exec, the dynamic loader's absence
// and exit cost on this machine). Linked statically where possible, never sanitized (tests/
// CMakeLists.txt). Cannot fail. Not a test of anything by itself.
int main() {
  return 0;
}
