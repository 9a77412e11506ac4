#pragma once
// The server API's routes for moderation and lookups (docs/api.md), beside server_api.cpp's:
//
//   PUT    /api/v1/rooms/{room}/members/{user}/mute   mute for {"seconds": N}
//   DELETE /api/v1/rooms/{room}/members/{user}/mute   unmute
//   DELETE /api/v1/rooms/{room}/messages/{seq}        delete a message
//   GET    /api/v1/rooms/{room}/members               the roster: members, roles, read positions
//   GET    /api/v1/users/{user}/rooms                 the rooms of a user
//   GET    /api/v1/search?user=U&q=WORDS              what a user would find
//
// Each goes through the hub with the backend as the actor, under the WebSocket commands' rules.
#include <string>
#include <vector>

#include <boost/url/url_view.hpp>

#include "net/context.hpp"
#include "net/http_api.hpp"

namespace parley {

// Answers the request if `path` (after /api/v1) is one of the routes above; false otherwise.
bool handle_admin_api(NetContext& ctx, const HttpRequest& req, const std::vector<std::string>& path,
                      const boost::urls::url_view& url, const Responder& respond);

}  // namespace parley
