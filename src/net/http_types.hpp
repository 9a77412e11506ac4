#pragma once
// The HTTP request and response types every route handler works with.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace parley {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

}  // namespace parley
