// The HTTP/REST front end of the real Server (server/http_service.h) over raw sockets: what
// cpp-httplib 0.11 does not bound itself is bounded (request line and headers, chunked bodies),
// the answers are the protocol's, and the connection is closed after a refused body.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/server.h"

namespace hbprep {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kLimit = 1 << 20;

class HttpServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.listen = {};
    options.models_dir = HBPREP_SOURCE_DIR "/deploy/models";
    options.workers = 1;
    options.reload_poll = std::chrono::milliseconds(0);
    options.max_message_bytes = kLimit;
    options.http_listen = "127.0.0.1:0";
    options.http_timeout = std::chrono::milliseconds(2000);
    server_ = std::make_unique<Server>(options);
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->http_port(), 0);
  }
  void TearDown() override { server_->Stop(); }

  int Connect() const {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(server_->http_port()));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    timeval timeout{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    return fd;
  }

  // Sends `head` and then up to `repeat` copies of `piece` (stopping when the server closes);
  // returns what it answered until it closed and how many bytes were sent.
  std::pair<std::string, size_t> Exchange(const std::string& head, const std::string& piece = "",
                                          int repeat = 0) const {
    const int fd = Connect();
    size_t sent = 0;
    if (send(fd, head.data(), head.size(), MSG_NOSIGNAL) > 0) sent += head.size();
    for (int i = 0; i < repeat; ++i) {
      const ssize_t n = send(fd, piece.data(), piece.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    std::string answer;
    char buffer[4096];
    for (ssize_t n; (n = recv(fd, buffer, sizeof(buffer), 0)) > 0;) answer.append(buffer, n);
    close(fd);
    return {answer, sent};
  }

  std::unique_ptr<Server> server_;
};

TEST_F(HttpServiceTest, AnswersHealthWithKeepAlive) {
  const int fd = Connect();
  const std::string request = "GET /v2/health/live HTTP/1.1\r\nHost: h\r\n\r\n";
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
    std::string answer;
    char buffer[4096];
    while (answer.find(R"({"live":true})") == std::string::npos) {
      const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
      ASSERT_GT(n, 0) << "request " << i << " got: " << answer;
      answer.append(buffer, n);
    }
    EXPECT_THAT(answer, StartsWith("HTTP/1.1 200 OK\r\n")) << "request " << i;
  }
  close(fd);
}

TEST_F(HttpServiceTest, CutsAChunkedBodyAtTheLimitAndCloses) {
  const std::string piece = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
  // 1024 chunks of 64 KiB are 64 MiB, 64 times the limit (loopback buffers take a few MiB).
  const auto [answer, sent] = Exchange(
      "POST /v2/models/cls_pyramid/infer HTTP/1.1\r\nHost: h\r\n"
      "Transfer-Encoding: chunked\r\n\r\n",
      piece, 1024);
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 413 "));
  EXPECT_THAT(answer, HasSubstr(
      R"({"error":"the body is more than the message limit of 1048576 bytes"})"));
  EXPECT_LT(sent, size_t{32} << 20) << "the server read the whole chunked body";
}

TEST_F(HttpServiceTest, RefusesADeclaredLengthBeyondTheLimitBeforeReading) {
  const auto [answer, sent] = Exchange(
      "POST /v2/models/cls_pyramid/infer HTTP/1.1\r\nHost: h\r\nContent-Length: 1048577\r\n\r\n");
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 413 "));
  EXPECT_THAT(answer, HasSubstr("Connection: close\r\n"));
  EXPECT_THAT(answer, HasSubstr("(Content-Length 1048577) is more than the message limit"));
}

TEST_F(HttpServiceTest, ClosesAHeaderThatNeverEnds) {
  // 16 MiB of one header line: the server stops reading at 16 KiB, answers 400 and closes.
  const auto [answer, sent] =
      Exchange("GET /v2 HTTP/1.1\r\nHost: h\r\nX-Long: ", std::string(1 << 16, 'a'), 256);
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 400 "));
  EXPECT_THAT(answer, HasSubstr("longer than 16384 bytes"));
  EXPECT_LT(sent, size_t{16} << 20) << "the server kept reading the header";
}

TEST_F(HttpServiceTest, AnswersErrorsWithTheProtocolsStatusAndBody) {
  EXPECT_THAT(Exchange("GET /v2/models/nope HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
                  .first,
              AllOf(StartsWith("HTTP/1.1 404 "), HasSubstr(R"({"error":"model 'nope')")));
  EXPECT_THAT(Exchange("POST /v2/models/cls_pyramid/infer HTTP/1.1\r\nHost: h\r\n"
                       "Content-Length: 5\r\nConnection: close\r\n\r\n{bad}")
                  .first,
              AllOf(StartsWith("HTTP/1.1 400 "),
                    HasSubstr(R"({"error":"the body is not valid JSON)")));
  EXPECT_THAT(Exchange("GET /v2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc").first,
              AllOf(StartsWith("HTTP/1.1 400 "), HasSubstr("GET /v2 takes no body")));
}

}  // namespace
}  // namespace hbprep
