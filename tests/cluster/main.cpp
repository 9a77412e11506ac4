// The cluster suite's main: the shared Redis and PostgreSQL servers live as long as the run.
#include <csignal>

#include <gtest/gtest.h>

#include "cluster_test.hpp"

int main(int argc, char** argv) {
  // A reader of our output that goes away (`| head`) must not kill the run before its
  // destructors stop the servers and remove the temporary directories.
  std::signal(SIGPIPE, SIG_IGN);
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new parley::test::cluster::ClusterEnvironment);
  return RUN_ALL_TESTS();
}
