// The cluster suite's main: the shared Redis and PostgreSQL servers live as long as the run.
#include <gtest/gtest.h>

#include "cluster_test.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new parley::test::cluster::ClusterEnvironment);
  return RUN_ALL_TESTS();
}
