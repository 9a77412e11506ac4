#pragma once
// How parleyctl prints an answer: a table of a list (columns chosen per command), or the
// fields of one object, one per line; --json prints the server's JSON instead.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace parleyctl {

enum class Format { plain, time, text };

struct Column {
  std::string header;
  std::string field;
  Format format = Format::plain;
};

// A cell's text: strings as they are, numbers, true/false, "-" for null or absent; times
// (ms since the epoch) as UTC ISO 8601; a text on one line.
std::string cell(const boost::json::object& row, const Column& c);

// The rows under a header line, each column as wide as its widest cell (the last left
// unpadded); nothing but the header when there is no row.
void print_table(std::ostream& out, const std::vector<Column>& columns, const boost::json::array& rows);

// "field: value" lines, nested objects and arrays as JSON.
void print_fields(std::ostream& out, const boost::json::object& o);

}  // namespace parleyctl
