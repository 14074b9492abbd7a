#include "transformers/templates/json_value.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "transformers/templates/error.h"
#include "transformers/templates/utf8.h"

namespace transformers::templates {

namespace {

Value from_json(const nlohmann::ordered_json& j) {
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null: return Value::none();
    case nlohmann::ordered_json::value_t::boolean: return Value(j.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer: return Value(j.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: {
      uint64_t u = j.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return Value(static_cast<double>(u));
      return Value(static_cast<int64_t>(u));
    }
    case nlohmann::ordered_json::value_t::number_float: return Value(j.get<double>());
    case nlohmann::ordered_json::value_t::string: return Value(j.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(from_json(e));
      return Value::list(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      Value d = Value::dict();
      d.as_dict().entries.reserve(j.size());
      for (const auto& [k, v] : j.items()) d.as_dict().set(Value(k), from_json(v));
      return d;
    }
    default: return Value::none();
  }
}

void dump_string(std::string& out, std::string_view s, bool ensure_ascii) {
  out.push_back('"');
  for (size_t i = 0; i < s.size();) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    if (b >= 0x80) {
      size_t start = i;
      char32_t c = utf8::next(s, i);
      if (!ensure_ascii) {
        out.append(s.substr(start, i - start));
        continue;
      }
      char buf[16];
      if (c >= 0x10000) {
        char32_t v = c - 0x10000;
        std::snprintf(buf, sizeof(buf), "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
      } else {
        std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
      }
      out += buf;
      continue;
    }
    ++i;
    switch (b) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (b < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", b);
          out += buf;
        } else {
          out.push_back(static_cast<char>(b));
        }
    }
  }
  out.push_back('"');
}

// Python's json turns non-string keys into strings: True -> "true", None -> "null", 1.5 -> "1.5".
std::string key_string(const Value& k) {
  switch (k.type()) {
    case Value::Type::String: return k.as_string();
    case Value::Type::Bool: return k.as_bool() ? "true" : "false";
    case Value::Type::None: return "null";
    case Value::Type::Int: return std::to_string(k.as_int());
    case Value::Type::Float: return format_float(k.as_float());
    default: fail(ErrorKind::Type, "keys must be str, int, float, bool or None, not " + k.type_name());
  }
}

class Dumper {
 public:
  explicit Dumper(const JsonDumpOptions& o) : o_(o) {
    item_sep_ = o.item_separator ? *o.item_separator : (o.indent ? "," : ", ");
  }

  void dump(std::string& out, const Value& v, int level) {
    if (level > 512) fail(ErrorKind::Limit, "tojson: value nested too deeply");
    switch (v.type()) {
      case Value::Type::None: out += "null"; return;
      case Value::Type::Bool: out += v.as_bool() ? "true" : "false"; return;
      case Value::Type::Int: out += std::to_string(v.as_int()); return;
      case Value::Type::Float: {
        double d = v.as_float();
        if (std::isnan(d)) {
          out += "NaN";
        } else if (std::isinf(d)) {
          out += d > 0 ? "Infinity" : "-Infinity";
        } else {
          out += format_float(d);
        }
        return;
      }
      case Value::Type::String: dump_string(out, v.as_string(), o_.ensure_ascii); return;
      case Value::Type::List: {
        const auto& items = v.as_list().items;
        if (items.empty()) {
          out += "[]";
          return;
        }
        out += "[";
        for (size_t i = 0; i < items.size(); ++i) {
          if (i) out += item_sep_;
          newline(out, level + 1);
          dump(out, items[i], level + 1);
        }
        newline(out, level);
        out += "]";
        return;
      }
      case Value::Type::Dict: {
        std::vector<const std::pair<Value, Value>*> entries;
        for (const auto& e : v.as_dict().entries) entries.push_back(&e);
        if (entries.empty()) {
          out += "{}";
          return;
        }
        if (o_.sort_keys)
          std::stable_sort(entries.begin(), entries.end(), [](auto* a, auto* b) {
            return compare(a->first, b->first) < 0;
          });
        out += "{";
        bool first = true;
        for (const auto* e : entries) {
          if (!first) out += item_sep_;
          first = false;
          newline(out, level + 1);
          dump_string(out, key_string(e->first), o_.ensure_ascii);
          out += o_.key_separator;
          dump(out, e->second, level + 1);
        }
        newline(out, level);
        out += "}";
        return;
      }
      case Value::Type::Undefined:
        fail(ErrorKind::Type, "Object of type Undefined is not JSON serializable");
      case Value::Type::Object:
        fail(ErrorKind::Type, "Object of type " + v.type_name() + " is not JSON serializable");
    }
  }

 private:
  void newline(std::string& out, int level) const {
    if (!o_.indent) return;
    out.push_back('\n');
    for (int i = 0; i < level; ++i) out += *o_.indent;
  }

  const JsonDumpOptions& o_;
  std::string item_sep_;
};

}  // namespace

Value parse_json(std::string_view text) {
  nlohmann::ordered_json j;
  try {
    j = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorKind::Type, std::string("invalid JSON: ") + e.what());
  }
  return from_json(j);
}

std::string dump_json(const Value& v, const JsonDumpOptions& options) {
  std::string out;
  Dumper(options).dump(out, v, 0);
  return out;
}

}  // namespace transformers::templates
