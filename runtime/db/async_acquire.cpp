#include "runtime/db/async_acquire.hpp"

#include <atomic>
#include <memory>
#include <string>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace tenant::api::db {

namespace asio = boost::asio;

void AcquireAsyncUntil(Pool& pool, const asio::any_io_executor& strand, std::chrono::steady_clock::time_point deadline,
                       AsyncLeaseDone done) {
  struct Wait {
    explicit Wait(const asio::any_io_executor& ex) : timer(ex) {}
    asio::steady_timer timer;
    // Set by whichever of "granted" and "timer armed" happens first; the second one then
    // knows about the first: a grant after arming cancels the timer, arming after a grant
    // does not arm at all.
    std::atomic<bool> raced{false};
  };
  auto wait = std::make_shared<Wait>(strand);
  const std::uint64_t ticket = pool.AcquireAsync([wait, strand, done](std::optional<Pool::Lease> lease) {
    // The grant may run on any thread; the timer is touched only on its strand.
    if (wait->raced.exchange(true)) asio::post(strand, [wait] { wait->timer.cancel(); });
    done(nullptr, std::move(lease));
  });
  if (ticket == 0 || wait->raced.exchange(true)) return;  // served already
  wait->timer.expires_at(deadline);
  wait->timer.async_wait([wait, &pool, ticket, done = std::move(done)](boost::system::error_code ec) {
    if (ec) return;  // cancelled: granted
    // CancelAsync decides under the pool's lock, so exactly one of grant and timeout answers.
    if (!pool.CancelAsync(ticket)) return;
    done(std::make_exception_ptr(PoolExhausted("no database connection available within the acquire timeout")),
         std::nullopt);
  });
}

}  // namespace tenant::api::db
