#pragma once
// The server API's users (docs/api.md → Users):
//
//   POST   /api/v1/users                    create an account {"user", "password"?}
//   GET    /api/v1/users/{user}             the user's standing
//   DELETE /api/v1/users/{user}?messages=   delete the user (keep or erase their messages)
//   POST   /api/v1/users/{user}/tokens      sign a token for the user {"ttl_s"?}
//   POST   /api/v1/users/{user}/revoke      revoke every token signed so far
//   POST   /api/v1/users/{user}/disable     refuse the user's logins and connections
//   POST   /api/v1/users/{user}/enable      let them in again
//
// Each goes through the hub with the backend as the actor.
#include <string>
#include <vector>

#include <boost/url/url_view.hpp>

#include "net/context.hpp"
#include "net/http_api.hpp"

namespace parley {

// Answers the request if `path` (after /api/v1) is one of the routes above; false otherwise.
bool handle_users_api(NetContext& ctx, const HttpRequest& req, const std::vector<std::string>& path,
                      const boost::urls::url_view& url, const Responder& respond);

}  // namespace parley
