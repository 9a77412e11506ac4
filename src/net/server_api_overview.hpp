#pragma once
// The server API's overview routes (docs/api.md → Overview), what an operator's console and
// parleyctl list:
//
//   GET /api/v1/rooms?after=NAME&limit=L   every room: kind, members, last seq, last hour's messages
//   GET /api/v1/connections?limit=L        this node's live connections by user
#include <string>
#include <vector>

#include <boost/url/url_view.hpp>

#include "net/context.hpp"
#include "net/http_api.hpp"

namespace parley {

// Answers the request if `path` (after /api/v1) is one of the routes above; false otherwise.
bool handle_overview_api(NetContext& ctx, const HttpRequest& req, const std::vector<std::string>& path,
                         const boost::urls::url_view& url, const Responder& respond);

}  // namespace parley
