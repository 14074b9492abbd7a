// Malformed safetensors files, each written by the test: every rule of the format must be enforced
// with an error that names the file and, where one is at fault, the tensor.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "support/fixtures.h"
#include "transformers/core/error.h"
#include "transformers/io/safetensors.h"

namespace transformers::io {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::string le64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = char((v >> (8 * i)) & 0xff);
  return s;
}

// A file: 8-byte length, header text, `data_bytes` bytes of data.
std::string make_file(const std::string& header, size_t data_bytes) {
  return le64(header.size()) + header + std::string(data_bytes, '\x01');
}

// Parses bytes in memory and returns the error message ("" when it parsed).
std::string parse_error(const std::string& bytes) {
  try {
    SafetensorsFile::parse({reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()},
                           nullptr, "mem.safetensors");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string one(const std::string& name, const std::string& body) {
  return "{\"" + name + "\":" + body + "}";
}

TEST(SafetensorsMalformed, TooShortForTheLength) {
  EXPECT_THAT(parse_error(""), HasSubstr("shorter than the 8-byte"));
  EXPECT_THAT(parse_error(std::string(7, '\0')), HasSubstr("7 bytes"));
}

TEST(SafetensorsMalformed, HeaderLengthBeyondTheFile) {
  std::string f = le64(100) + "{}";
  EXPECT_THAT(parse_error(f), AllOf(HasSubstr("mem.safetensors"), HasSubstr("header length 100"),
                                    HasSubstr("beyond the end")));
}

TEST(SafetensorsMalformed, AbsurdHeaderLength) {
  EXPECT_THAT(parse_error(le64(uint64_t(1) << 40) + "{}"), HasSubstr("limit"));
  EXPECT_THAT(parse_error(le64(~uint64_t(0)) + "{}"), HasSubstr("limit"));
}

TEST(SafetensorsMalformed, InvalidJson) {
  EXPECT_THAT(parse_error(make_file("{\"a\": ", 0)), HasSubstr("not valid JSON"));
  EXPECT_THAT(parse_error(make_file("not json", 0)), HasSubstr("not valid JSON"));
  // JSON followed by garbage in the header is not valid either (trailing spaces are: see below).
  EXPECT_THAT(parse_error(make_file("{}xx", 0)), HasSubstr("not valid JSON"));
}

TEST(SafetensorsMalformed, HeaderMustBeAnObject) {
  EXPECT_THAT(parse_error(make_file("[1,2]", 0)), HasSubstr("must be a JSON object"));
  EXPECT_THAT(parse_error(make_file("7", 0)), HasSubstr("must be a JSON object"));
}

TEST(SafetensorsMalformed, MissingFields) {
  EXPECT_THAT(parse_error(make_file(one("w", R"({"shape":[1],"data_offsets":[0,4]})"), 4)),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("missing 'dtype'")));
  EXPECT_THAT(parse_error(make_file(one("w", R"({"dtype":"F32","data_offsets":[0,4]})"), 4)),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("missing 'shape'")));
  EXPECT_THAT(parse_error(make_file(one("w", R"({"dtype":"F32","shape":[1]})"), 4)),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("missing 'data_offsets'")));
}

TEST(SafetensorsMalformed, WrongFieldTypes) {
  EXPECT_THAT(parse_error(make_file(one("w", "[1]"), 0)), HasSubstr("entry must be an object"));
  EXPECT_THAT(parse_error(make_file(one("w", R"({"dtype":5,"shape":[1],"data_offsets":[0,4]})"), 4)),
              HasSubstr("'dtype' must be a string"));
  EXPECT_THAT(parse_error(make_file(one("w", R"({"dtype":"F32","shape":"1","data_offsets":[0,4]})"), 4)),
              HasSubstr("'shape' must be an array"));
  EXPECT_THAT(parse_error(make_file(one("w", R"({"dtype":"F32","shape":[1],"data_offsets":[4]})"), 4)),
              HasSubstr("'data_offsets' must be [begin, end]"));
  EXPECT_THAT(parse_error(make_file(one("w", R"({"dtype":"F32","shape":[1],"data_offsets":[0,4,8]})"), 8)),
              HasSubstr("'data_offsets' must be [begin, end]"));
  EXPECT_THAT(parse_error(make_file(one("w", R"({"dtype":"F32","shape":[1.5],"data_offsets":[0,4]})"), 4)),
              HasSubstr("must be an integer"));
  EXPECT_THAT(parse_error(make_file(one("w", R"({"dtype":"F32","shape":["1"],"data_offsets":[0,4]})"), 4)),
              HasSubstr("must be an integer"));
  EXPECT_THAT(parse_error(make_file(one("w", R"({"dtype":"F32","shape":[1],"data_offsets":[0,"4"]})"), 4)),
              HasSubstr("data_offsets[1] must be an integer"));
}

TEST(SafetensorsMalformed, NegativeDimensionsAndOffsets) {
  EXPECT_THAT(parse_error(make_file(one("w", R"({"dtype":"F32","shape":[-1],"data_offsets":[0,4]})"), 4)),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("negative (-1)")));
  EXPECT_THAT(parse_error(make_file(one("w", R"({"dtype":"F32","shape":[1],"data_offsets":[-4,0]})"), 4)),
              HasSubstr("data_offsets[0] is negative"));
}

TEST(SafetensorsMalformed, UnknownDtype) {
  EXPECT_THAT(parse_error(make_file(one("w", R"({"dtype":"F4","shape":[1],"data_offsets":[0,1]})"), 1)),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("unknown dtype 'F4'")));
  EXPECT_THAT(parse_error(make_file(one("w", R"({"dtype":"f32","shape":[1],"data_offsets":[0,4]})"), 4)),
              HasSubstr("unknown dtype 'f32'"));
}

TEST(SafetensorsMalformed, ByteLengthMustMatchDtypeTimesShape) {
  // 2 x 3 F32 = 24 bytes, offsets span 20.
  EXPECT_THAT(parse_error(make_file(one("w", R"({"dtype":"F32","shape":[2,3],"data_offsets":[0,20]})"), 20)),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("is 24 bytes"), HasSubstr("span 20")));
  // Same element count, wrong dtype size: 6 BF16 = 12 bytes.
  EXPECT_THAT(parse_error(make_file(one("w", R"({"dtype":"BF16","shape":[2,3],"data_offsets":[0,24]})"), 24)),
              HasSubstr("is 12 bytes"));
}

TEST(SafetensorsMalformed, ShapeOverflowIsCaught) {
  // 2^62 * 8 elements would wrap a 64-bit count around.
  EXPECT_THAT(
      parse_error(make_file(
          one("w", R"({"dtype":"F32","shape":[4611686018427387904,8],"data_offsets":[0,0]})"), 0)),
      HasSubstr("too many"));
  // 2^61 F64 elements fit in a count but not in bytes.
  EXPECT_THAT(
      parse_error(make_file(
          one("w", R"({"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,0]})"), 0)),
      HasSubstr("too many bytes"));
  // Beyond uint64: nlohmann reads it as a float.
  EXPECT_THAT(
      parse_error(make_file(
          one("w", R"({"dtype":"F32","shape":[99999999999999999999999],"data_offsets":[0,0]})"),
          0)),
      HasSubstr("must be an integer"));
}

TEST(SafetensorsMalformed, OffsetsOutOfBounds) {
  EXPECT_THAT(parse_error(make_file(one("w", R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})"), 4)),
              AllOf(HasSubstr("tensor 'w'"), HasSubstr("beyond the data region (4 bytes)")));
  EXPECT_THAT(parse_error(make_file(one("w", R"({"dtype":"F32","shape":[0],"data_offsets":[8,4]})"), 8)),
              HasSubstr("end before begin"));
}

TEST(SafetensorsMalformed, OverlappingTensors) {
  std::string h =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  EXPECT_THAT(parse_error(make_file(h, 12)),
              AllOf(HasSubstr("tensor 'b'"), HasSubstr("overlap tensor 'a'")));
  // The same range twice is an overlap too.
  h = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  EXPECT_THAT(parse_error(make_file(h, 4)), HasSubstr("overlap"));
}

TEST(SafetensorsMalformed, DataRegionMustBeCoveredExactly) {
  // A gap between tensors.
  std::string h =
      R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
  EXPECT_THAT(parse_error(make_file(h, 12)),
              AllOf(HasSubstr("tensor 'b'"), HasSubstr("bytes [4, 8)"), HasSubstr("unused")));
  // Unused bytes before the first tensor.
  h = one("a", R"({"dtype":"F32","shape":[1],"data_offsets":[4,8]})");
  EXPECT_THAT(parse_error(make_file(h, 8)), HasSubstr("bytes [0, 4)"));
  // Trailing bytes after the last tensor.
  h = one("a", R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})");
  EXPECT_THAT(parse_error(make_file(h, 5)), AllOf(HasSubstr("cover 4 bytes"), HasSubstr("holds 5")));
  // No tensors but data bytes.
  EXPECT_THAT(parse_error(make_file("{}", 3)), HasSubstr("cover 0 bytes"));
}

TEST(SafetensorsMalformed, DuplicateTensorNames) {
  std::string h =
      R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  EXPECT_THAT(parse_error(make_file(h, 8)),
              AllOf(HasSubstr("duplicate key 'w'"), HasSubstr("tensor named twice")));
  // A duplicate field inside an entry is caught as well.
  h = one("w", R"({"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]})");
  EXPECT_THAT(parse_error(make_file(h, 4)), HasSubstr("duplicate key 'dtype'"));
}

TEST(SafetensorsMalformed, MetadataMustMapStringsToStrings) {
  EXPECT_THAT(parse_error(make_file(R"({"__metadata__":{"format":1}})", 0)),
              HasSubstr("__metadata__ value for 'format' must be a string"));
  EXPECT_THAT(parse_error(make_file(R"({"__metadata__":["pt"]})", 0)),
              HasSubstr("__metadata__ must be an object"));
}

TEST(SafetensorsMalformed, DeepNestingIsRejectedEarly) {
  std::string deep = one("w", std::string(10000, '[') + std::string(10000, ']'));
  EXPECT_THAT(parse_error(make_file(deep, 0)), HasSubstr("nests deeper"));
}

TEST(SafetensorsMalformed, ErrorsFromDiskNameTheFile) {
  auto dir = testing::temp_dir("io_malformed_disk");
  auto path = dir / "bad.safetensors";
  std::ofstream(path, std::ios::binary)
      << make_file(one("layer.w", R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})"), 8);
  try {
    SafetensorsFile::open(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(std::string(e.what()), AllOf(HasSubstr(path.string()), HasSubstr("tensor 'layer.w'")));
  }
  EXPECT_THAT(
      [&] {
        try {
          SafetensorsFile::open(dir / "absent.safetensors");
        } catch (const Error& e) {
          return std::string(e.what());
        }
        return std::string();
      }(),
      AllOf(HasSubstr("absent.safetensors"), HasSubstr("cannot open")));
  std::ofstream(dir / "empty.safetensors", std::ios::binary);  // 0 bytes: not mappable, still an error
  EXPECT_THROW(SafetensorsFile::open(dir / "empty.safetensors"), Error);
  EXPECT_THROW(SafetensorsFile::open(dir), Error);  // a directory
}

// ---- what is valid ----

TEST(SafetensorsValid, EveryDtypeWithItsSize) {
  // Element sizes from the safetensors format description.
  const std::vector<std::pair<std::string, std::pair<DType, size_t>>> table = {
      {"F64", {DType::Float64, 8}}, {"F32", {DType::Float32, 4}},     {"F16", {DType::Float16, 2}},
      {"BF16", {DType::BFloat16, 2}}, {"I64", {DType::Int64, 8}},     {"I32", {DType::Int32, 4}},
      {"I16", {DType::Int16, 2}},   {"I8", {DType::Int8, 1}},         {"U8", {DType::UInt8, 1}},
      {"BOOL", {DType::Bool, 1}},   {"F8_E4M3", {DType::Float8E4M3, 1}},
      {"F8_E5M2", {DType::Float8E5M2, 1}}};
  for (const auto& [name, info] : table) {
    size_t bytes = 3 * info.second;
    std::string h = one("t", R"({"dtype":")" + name + R"(","shape":[3],"data_offsets":[0,)" +
                                 std::to_string(bytes) + "]}");
    std::string file = make_file(h, bytes);
    auto f = SafetensorsFile::parse({reinterpret_cast<const std::byte*>(file.data()), file.size()},
                                    nullptr, name);
    ASSERT_EQ(f.tensors().size(), 1u) << name;
    EXPECT_EQ(f.tensors()[0].dtype, info.first) << name;
    EXPECT_EQ(f.tensors()[0].nbytes, bytes) << name;
    // A size that would be right for another element size is rejected.
    std::string wrong = one("t", R"({"dtype":")" + name + R"(","shape":[3],"data_offsets":[0,)" +
                                     std::to_string(bytes + 3) + "]}");
    EXPECT_THAT(parse_error(make_file(wrong, bytes + 3)), HasSubstr("span")) << name;
  }
}

TEST(SafetensorsValid, EmptyHeaderScalarsZeroSizedAndPadding) {
  // "{}" followed by the writer's space padding, no data.
  EXPECT_EQ(parse_error(make_file("{}      ", 0)), "");
  // A scalar (shape []) is one element; a [0, 5] tensor has no bytes and may share an offset.
  std::string h = R"({"s":{"dtype":"I64","shape":[],"data_offsets":[0,8]},)"
                  R"("z":{"dtype":"F32","shape":[0,5],"data_offsets":[8,8]},)"
                  R"("v":{"dtype":"U8","shape":[2],"data_offsets":[8,10]},)"
                  R"("__metadata__":{"format":"pt","note":"x"}})";
  std::string file = make_file(h, 10);
  auto f = SafetensorsFile::parse({reinterpret_cast<const std::byte*>(file.data()), file.size()},
                                  nullptr, "mem");
  ASSERT_EQ(f.tensors().size(), 3u);
  EXPECT_EQ(f.tensors()[0].name, "s");  // offset order, not header order
  EXPECT_EQ(f.tensors()[0].numel(), 1);
  EXPECT_EQ(f.tensors()[1].name, "z");
  EXPECT_EQ(f.tensors()[1].nbytes, 0u);
  EXPECT_EQ(f.find("v")->data, reinterpret_cast<const std::byte*>(file.data()) + 8 + h.size() + 8);
  EXPECT_EQ(f.metadata().size(), 2u);
  EXPECT_EQ(f.metadata().at("note"), "x");
  // Unknown extra fields in an entry are ignored, as the Rust reader does.
  std::string extra = one("t", R"({"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":1})");
  EXPECT_EQ(parse_error(make_file(extra, 1)), "");
}

}  // namespace
}  // namespace transformers::io
