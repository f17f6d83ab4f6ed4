#pragma once

namespace tenant::test {

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close).
// Another process may still take it before the caller binds; service starters retry
// with a new port when the server reports "Address already in use".
int FreeLoopbackPort();

}  // namespace tenant::test
