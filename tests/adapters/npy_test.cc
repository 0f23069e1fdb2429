#include "hbprep/npy.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace hbprep {
namespace {

using ::hbprep::testing::IsOk;
using ::hbprep::testing::StatusIs;

// A version 1.0 .npy file with `header` as it is (no padding added) and `data`.
std::string Npy(const std::string& header, const std::string& data) {
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  return out + header + data;
}

TEST(Npy, HeadersParseAsPythonDictLiterals) {
  struct Case {
    std::string header;
    std::vector<int64_t> shape;
  };
  const std::vector<Case> cases = {
      // What numpy writes, padded to 64 bytes.
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }          \n", {2, 3}},
      // Any key order, double quotes, no trailing comma, tabs and newlines.
      {"{\"shape\": (2, 3), \"fortran_order\": False, \"descr\": \"|u1\"}", {2, 3}},
      {"{\n\t'fortran_order' :False ,'shape':(6,),'descr':'<u1' ,\n}\n", {6}},
      // Python 2's long integers, a trailing comma in the tuple.
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (2L, 3L,), }", {2, 3}},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (1, 1, 6)}", {1, 1, 6}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<NpyArray> array = DecodeNpy(Npy(c.header, "abcdef"), "t.npy");
    ASSERT_THAT(array, IsOk()) << c.header;
    EXPECT_EQ(array->dtype, DType::kUint8);
    EXPECT_EQ(array->shape, c.shape) << c.header;
    EXPECT_EQ(std::string(array->data.begin(), array->data.end()), "abcdef");
  }
  // A 0-d array: shape ().
  absl::StatusOr<NpyArray> scalar =
      DecodeNpy(Npy("{'descr': '<i4', 'fortran_order': False, 'shape': ()}", "abcd"), "s");
  ASSERT_THAT(scalar, IsOk());
  EXPECT_TRUE(scalar->shape.empty());
  // What EncodeNpy writes reads back.
  const std::vector<uint8_t> data = {1, 2, 3, 4, 5, 6};
  absl::StatusOr<NpyArray> back = DecodeNpy(EncodeNpy(DType::kUint8, {6}, data), "b");
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->shape, std::vector<int64_t>{6});
}

TEST(Npy, MalformedHeadersAreRefusedNamingTheProblem) {
  struct Case {
    std::string header;
    std::string message;
  };
  const std::string p = "t.npy: not a usable .npy file: header: ";
  const std::vector<Case> cases = {
      // A key given twice: the first 'shape' is not simply taken.
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (6,), 'shape': (3,)}",
       "key 'shape' is given twice"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (6,), 'extra': 1}",
       "unknown key 'extra' (the header has 'descr', 'fortran_order' and 'shape')"},
      // 'shape' inside a string value is no key.
      {"{'descr': '|u1', 'fortran_order': False, 'note': \"'shape': (6,)\"}",
       "unknown key 'note' (the header has 'descr', 'fortran_order' and 'shape')"},
      {"{'descr': \"|u1 'shape': (6,)\", 'fortran_order': False}", "missing key 'shape'"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (6,)",
       "expected ',' or '}' at byte 54 of the header"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (6,)} x",
       "text after the closing '}' at byte 56 of the header"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (6)}",
       "'shape': a one-element tuple needs a trailing comma at byte 53 of the header"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (1,2,,)}",
       "'shape': expected a non-negative integer at byte 55 of the header"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (2 3)}",
       "'shape': expected ',' or ')' at byte 53 of the header"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (-6,)}",
       "'shape': expected a non-negative integer at byte 51 of the header"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (06,)}",
       "'shape': leading zeros are not a Python integer at byte 51 of the header"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': (1234567890123456789,)}",
       "'shape': integer too large at byte 70 of the header"},
      {"{'descr': '|u1', 'fortran_order': False, 'shape': [6]}",
       "'shape': expected a tuple at byte 50 of the header"},
      {"{'descr': '|u1', 'fortran_order': Falsey, 'shape': (6,)}",
       "'fortran_order': expected True or False at byte 34 of the header"},
      {"{'descr': '|u1', 'fortran_order': 0, 'shape': (6,)}",
       "'fortran_order': expected True or False at byte 34 of the header"},
      {"{'descr': '|u1\\x', 'fortran_order': False, 'shape': (6,)}",
       "'descr': escape sequences are not supported at byte 14 of the header"},
      {"{'descr': '|u1, 'fortran_order': False, 'shape': (6,)}",
       "expected ',' or '}' at byte 17 of the header"},
      {"{'descr': '|u1", "'descr': unterminated string at byte 14 of the header"},
      {"{descr: '|u1'}", "expected a quoted string at byte 1 of the header"},
      {"'descr': '|u1'", "expected '{' at byte 0 of the header"},
      {"{}", "missing key 'descr'"},
      {"", "expected '{' at byte 0 of the header"},
      {"{'descr': '|u1', 'shape': (6,)}", "missing key 'fortran_order'"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(DecodeNpy(Npy(c.header, "abcdef"), "t.npy"),
                StatusIs(absl::StatusCode::kInvalidArgument, p + c.message))
        << c.header;
  }
}

TEST(Npy, BoundsStillHold) {
  const std::string p = "t.npy: not a usable .npy file: ";
  EXPECT_THAT(DecodeNpy(Npy("{'descr': '|u1', 'fortran_order': False, 'shape': (1099511627776, "
                            "1099511627776)}",
                            ""),
                        "t.npy"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       p + "shape (1099511627776, 1099511627776) is too large"));
  EXPECT_THAT(DecodeNpy(Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296,)}", ""),
                        "t.npy"),
              StatusIs(absl::StatusCode::kInvalidArgument, p + "too large"));
  EXPECT_THAT(
      DecodeNpy(Npy("{'descr': '|u1', 'fortran_order': False, 'shape': (7,)}", "abcdef"), "t.npy"),
      StatusIs(absl::StatusCode::kInvalidArgument, p + "holds 6 data bytes, shape needs 7"));
  EXPECT_THAT(
      DecodeNpy(Npy("{'descr': '>f4', 'fortran_order': False, 'shape': (6,)}", "abcdef"), "t.npy"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               p + "dtype '>f4' is not one of uint8, int8, int16, uint16, int32, int64, "
                   "float16, float32, float64, bool"));
  EXPECT_THAT(
      DecodeNpy(Npy("{'descr': '|u1', 'fortran_order': True, 'shape': (6,)}", "abcdef"), "t.npy"),
      StatusIs(absl::StatusCode::kInvalidArgument, p + "Fortran order is not supported"));
  std::string truncated = Npy("{'descr': '|u1', 'fortran_order': False, 'shape': (6,)}", "");
  truncated.resize(20);
  EXPECT_THAT(DecodeNpy(truncated, "t.npy"),
              StatusIs(absl::StatusCode::kInvalidArgument, p + "truncated header"));
}

}  // namespace
}  // namespace hbprep
