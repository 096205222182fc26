// Tests for daemon/network_waiters.h: entries waiting for their account's smarthost, taken all
// at once when it is reached, or one per account as probes.
#include "daemon/network_waiters.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rm {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

TEST(NetworkWaiters, TakeGivesAnAccountsWaitersOnce) {
  NetworkWaiters w;
  w.add("gmail", "A");
  w.add("gmail", "B");
  w.add("work", "C");
  EXPECT_EQ(w.size(), 3u);
  EXPECT_THAT(w.take("gmail"), ElementsAre("A", "B"));
  EXPECT_TRUE(w.take("gmail").empty());
  EXPECT_THAT(w.take("work"), ElementsAre("C"));
  EXPECT_EQ(w.size(), 0u);
}

TEST(NetworkWaiters, AnIdIsHeldOnceUnderItsLastAccount) {
  NetworkWaiters w;
  w.add("gmail", "A");
  w.add("gmail", "A");
  w.add("work", "A");  // its account changed with a reload
  EXPECT_EQ(w.size(), 1u);
  EXPECT_TRUE(w.take("gmail").empty());
  EXPECT_THAT(w.take("work"), ElementsAre("A"));
}

TEST(NetworkWaiters, ForgetAndProbes) {
  NetworkWaiters w;
  w.add("gmail", "A");
  w.add("gmail", "B");
  w.add("work", "C");
  w.forget("C");
  w.forget("nope");
  EXPECT_THAT(w.take_probes(), UnorderedElementsAre("A"));
  EXPECT_THAT(w.take_probes(), UnorderedElementsAre("B"));
  EXPECT_TRUE(w.take_probes().empty());
  w.add("gmail", "D");
  w.add("work", "E");
  EXPECT_THAT(w.take_probes(), UnorderedElementsAre("D", "E"));
}

}  // namespace
}  // namespace rm
