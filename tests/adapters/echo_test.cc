// Echo(): client values in messages and logs, escaped and cut.
#include "adapters/echo.h"

#include <string>

#include "gtest/gtest.h"

namespace hbprep {
namespace {

TEST(Echo, KeepsPlainNamesAsTheyAre) {
  EXPECT_EQ(Echo("cls_pyramid"), "cls_pyramid");
  EXPECT_EQ(Echo("/encoder/after_norm/Add_1_output_0"), "/encoder/after_norm/Add_1_output_0");
  EXPECT_EQ(Echo("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 stays readable
  EXPECT_EQ(Echo(""), "");
}

TEST(Echo, EscapesControlCharactersQuotesAndBackslashes) {
  EXPECT_EQ(Echo("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(Echo("x\x1b[31mred"), "x\\x1b[31mred");
  EXPECT_EQ(Echo(std::string("nul\0end", 7)), "nul\\x00end");
  EXPECT_EQ(Echo("del\x7f"), "del\\x7f");
  EXPECT_EQ(Echo("it's \\"), "it\\x27s \\x5c");
}

TEST(Echo, CutsLongValuesAndSaysHowLongTheyWere) {
  EXPECT_EQ(Echo(std::string(64, 'a')), std::string(64, 'a'));
  EXPECT_EQ(Echo(std::string(65, 'a')), std::string(64, 'a') + "...(65 bytes)");
  EXPECT_EQ(Echo(std::string(10 << 20, 'n')), std::string(64, 'n') + "...(10485760 bytes)");
  EXPECT_EQ(Echo("abcdef", 3), "abc...(6 bytes)");
  // The cut counts the value's bytes, before escaping.
  EXPECT_EQ(Echo("\n\n\n\n", 2), "\\n\\n...(4 bytes)");
}

TEST(EchoMessage, KeepsNewlinesOnlyWhenAsked) {
  EXPECT_EQ(EchoMessage("m.yaml: a\nm.yaml: b\x1b", 100, true), "m.yaml: a\nm.yaml: b\\x1b");
  EXPECT_EQ(EchoMessage("m.yaml: a\nm.yaml: b", 100, false), "m.yaml: a\\nm.yaml: b");
  EXPECT_EQ(EchoMessage("model 'x'", 100, false), "model 'x'");  // its own quotes stay
  EXPECT_EQ(EchoMessage("0123456789", 4, true), "0123...(10 bytes)");
}

}  // namespace
}  // namespace hbprep
