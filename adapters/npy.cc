#include "hbprep/npy.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace hbprep {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr int64_t kMaxNpyBytes = int64_t{1} << 34;

absl::string_view Descr(DType dtype) { return Traits(dtype).npy_descr; }

// The header dict, parsed as the Python literal numpy writes (and ast.literal_eval reads):
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } with the three keys in any
// order, single or double quotes, any whitespace, an optional trailing comma. Shape entries
// may carry Python 2's L suffix (old numpy files).
struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
};

class HeaderParser {
 public:
  explicit HeaderParser(absl::string_view text) : text_(text) {}

  // An empty string when the header parses; else why not.
  std::string Parse(NpyHeader* header) {
    bool seen_descr = false, seen_order = false, seen_shape = false;
    Space();
    if (!Take('{')) return Error("expected '{'");
    Space();
    while (!Peek('}')) {
      std::string key;
      if (std::string error = String(&key); !error.empty()) return error;
      Space();
      if (!Take(':')) return Error(absl::StrCat("expected ':' after key '", key, "'"));
      Space();
      bool* seen = key == "descr"           ? &seen_descr
                   : key == "fortran_order" ? &seen_order
                   : key == "shape"         ? &seen_shape
                                            : nullptr;
      if (seen == nullptr) {
        return absl::StrCat("unknown key '", key,
                            "' (the header has 'descr', 'fortran_order' and 'shape')");
      }
      if (*seen) return absl::StrCat("key '", key, "' is given twice");
      *seen = true;
      std::string error;
      if (key == "descr") {
        error = String(&header->descr);
      } else if (key == "fortran_order") {
        error = Bool(&header->fortran_order);
      } else {
        error = Tuple(&header->shape);
      }
      if (!error.empty()) return absl::StrCat("'", key, "': ", error);
      Space();
      if (Take(',')) {
        Space();
        continue;
      }
      if (!Peek('}')) return Error("expected ',' or '}'");
    }
    ++at_;  // '}'
    Space();
    if (at_ != text_.size()) return Error("text after the closing '}'");
    for (const auto& [seen, key] :
         {std::pair{seen_descr, "descr"}, std::pair{seen_order, "fortran_order"},
          std::pair{seen_shape, "shape"}}) {
      if (!seen) return absl::StrCat("missing key '", key, "'");
    }
    return "";
  }

 private:
  std::string Error(absl::string_view what) const {
    return absl::StrCat(what, " at byte ", at_, " of the header");
  }
  bool Peek(char c) const { return at_ < text_.size() && text_[at_] == c; }
  bool Take(char c) {
    if (!Peek(c)) return false;
    ++at_;
    return true;
  }
  void Space() {
    while (at_ < text_.size() && absl::ascii_isspace(static_cast<unsigned char>(text_[at_]))) {
      ++at_;
    }
  }
  // A quoted string without escapes.
  std::string String(std::string* out) {
    if (!Peek('\'') && !Peek('"')) return Error("expected a quoted string");
    const char quote = text_[at_++];
    const size_t begin = at_;
    while (at_ < text_.size() && text_[at_] != quote) {
      if (text_[at_] == '\\') return Error("escape sequences are not supported");
      if (text_[at_] == '\n') return Error("unterminated string");
      ++at_;
    }
    if (at_ == text_.size()) return Error("unterminated string");
    *out = std::string(text_.substr(begin, at_ - begin));
    ++at_;
    return "";
  }
  std::string Bool(bool* out) {
    for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      const absl::string_view w(word);
      if (text_.substr(at_, w.size()) == w &&
          (at_ + w.size() == text_.size() ||
           !absl::ascii_isalnum(static_cast<unsigned char>(text_[at_ + w.size()])))) {
        at_ += w.size();
        *out = value;
        return "";
      }
    }
    return Error("expected True or False");
  }
  // (), (n,), (n, m) or (n, m,): non-negative integers.
  std::string Tuple(std::vector<int64_t>* out) {
    if (!Take('(')) return Error("expected a tuple");
    Space();
    size_t count = 0;
    bool comma = false;  // the last item was followed by a comma
    while (!Take(')')) {
      if (count > 0 && !comma) return Error("expected ',' or ')'");
      const size_t begin = at_;
      while (at_ < text_.size() && absl::ascii_isdigit(static_cast<unsigned char>(text_[at_]))) {
        ++at_;
      }
      if (at_ == begin) return Error("expected a non-negative integer");
      if (at_ - begin > 1 && text_[begin] == '0') {
        at_ = begin;
        return Error("leading zeros are not a Python integer");
      }
      int64_t value = 0;
      if (at_ - begin > 18 || !absl::SimpleAtoi(text_.substr(begin, at_ - begin), &value)) {
        return Error("integer too large");
      }
      Take('L');
      out->push_back(value);
      ++count;
      Space();
      comma = Take(',');
      Space();
    }
    // (n) is a number in Python, not a tuple.
    if (count == 1 && !comma) return Error("a one-element tuple needs a trailing comma");
    return "";
  }

  absl::string_view text_;
  size_t at_ = 0;
};

}  // namespace

std::string EncodeNpy(DType dtype, absl::Span<const int64_t> shape,
                      absl::Span<const uint8_t> data) {
  std::string dims = absl::StrJoin(shape, ", ");
  if (shape.size() == 1) dims += ",";
  std::string header = absl::StrCat("{'descr': '", Descr(dtype),
                                    "', 'fortran_order': False, 'shape': (", dims, "), }");
  // Pad with spaces so that magic + version + length + header is a multiple of 64, ending in \n.
  const size_t unpadded = 6 + 2 + 2 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  std::string out(kMagic, 6);
  out.push_back('\x01');
  out.push_back('\x00');
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  out.append(reinterpret_cast<const char*>(data.data()), data.size());
  return out;
}

absl::StatusOr<NpyArray> DecodeNpy(absl::string_view bytes, absl::string_view what) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not a usable .npy file: ", why));
  };
  if (bytes.size() < 10 || bytes.substr(0, 6) != absl::string_view(kMagic, 6)) {
    return bad("missing the \\x93NUMPY magic");
  }
  const int major = static_cast<uint8_t>(bytes[6]);
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<uint8_t>(bytes[8]) | static_cast<uint8_t>(bytes[9]) << 8;
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return bad("truncated header");
    header_len = 0;
    for (int i = 3; i >= 0; --i) header_len = header_len << 8 | static_cast<uint8_t>(bytes[8 + i]);
    offset = 12;
  } else {
    return bad(absl::StrCat("unknown format version ", major));
  }
  if (header_len > bytes.size() - offset) return bad("truncated header");
  const absl::string_view header = bytes.substr(offset, header_len);
  const absl::string_view payload = bytes.substr(offset + header_len);

  NpyHeader parsed;
  if (std::string error = HeaderParser(header).Parse(&parsed); !error.empty()) {
    return bad(absl::StrCat("header: ", error));
  }
  NpyArray array;
  const absl::string_view descr = parsed.descr;
  bool from_f64 = false;
  // One-byte types are written "|u1" or "<u1" alike.
  const auto row = std::find_if(std::begin(kDTypeTraits), std::end(kDTypeTraits),
                                [&](const DTypeTraits& r) {
                                  return r.npy_descr == descr ||
                                         (r.size == 1 && descr.size() == 3 && descr[0] == '<' &&
                                          descr.substr(1) == r.npy_descr.substr(1));
                                });
  if (row != std::end(kDTypeTraits)) {
    array.dtype = row->dtype;
  } else if (descr == "<f8") {
    array.dtype = DType::kFloat32;
    from_f64 = true;
  } else {
    return bad(
        absl::StrCat("dtype '", descr, "' is not one of uint8, int8, int16, uint16, int32, int64, "
                     "float16, float32, float64, bool"));
  }
  if (parsed.fortran_order) return bad("Fortran order is not supported");
  int64_t count = 1;
  for (int64_t value : parsed.shape) {
    if (value > 0 && count > kMaxNpyBytes / value) {
      return bad(absl::StrCat("shape (", absl::StrJoin(parsed.shape, ", "), ") is too large"));
    }
    array.shape.push_back(value);
    count *= value;
  }
  const int64_t element = from_f64 ? 8 : ElementSize(array.dtype);
  if (count * element > kMaxNpyBytes) return bad("too large");
  if (static_cast<int64_t>(payload.size()) != count * element) {
    return bad(
        absl::StrCat("holds ", payload.size(), " data bytes, shape needs ", count * element));
  }
  if (!from_f64) {
    array.data.assign(payload.begin(), payload.end());
    return array;
  }
  array.data.resize(count * 4);
  for (int64_t i = 0; i < count; ++i) {
    double value;
    std::memcpy(&value, payload.data() + i * 8, 8);
    const float narrowed = static_cast<float>(value);
    std::memcpy(array.data.data() + i * 4, &narrowed, 4);
  }
  return array;
}

}  // namespace hbprep
