#include "output.hpp"

#include <boost/json/serialize.hpp>
#include <ctime>

namespace parleyctl {

namespace json = boost::json;

namespace {

std::string iso_time(int64_t ms) {
  std::time_t s = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[40];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

// A text on one line: line breaks and tabs shown as \n and \t.
std::string one_line(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    if (ch == '\n') out += "\\n";
    else if (ch == '\t') out += "\\t";
    else if (ch == '\r') out += "\\r";
    else out += ch;
  }
  return out;
}

std::string value_text(const json::value& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_bool()) return v.as_bool() ? "true" : "false";
  return json::serialize(v);
}

// Display width: UTF-8 continuation bytes take no column.
std::size_t width(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
  return n;
}

}  // namespace

std::string cell(const json::object& row, const Column& c) {
  const json::value* v = row.if_contains(c.field);
  if (!v || v->is_null()) return "-";
  if (c.format == Format::time && v->is_int64()) return iso_time(v->as_int64());
  if (c.format == Format::text) return one_line(value_text(*v));
  return value_text(*v);
}

void print_table(std::ostream& out, const std::vector<Column>& columns, const json::array& rows) {
  std::vector<std::vector<std::string>> cells;
  std::vector<std::size_t> widths;
  for (const auto& c : columns) widths.push_back(width(c.header));
  for (const auto& r : rows) {
    std::vector<std::string> line;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      line.push_back(r.is_object() ? cell(r.as_object(), columns[i]) : value_text(r));
      widths[i] = std::max(widths[i], width(line.back()));
    }
    cells.push_back(std::move(line));
  }
  auto print_line = [&](const std::vector<std::string>& line) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      out << line[i];
      if (i + 1 < line.size()) out << std::string(widths[i] - width(line[i]) + 2, ' ');
    }
    out << '\n';
  };
  std::vector<std::string> header;
  for (const auto& c : columns) header.push_back(c.header);
  print_line(header);
  for (const auto& line : cells) print_line(line);
}

void print_fields(std::ostream& out, const json::object& o) {
  for (const auto& [k, v] : o) out << std::string_view(k) << ": " << value_text(v) << '\n';
}

}  // namespace parleyctl
