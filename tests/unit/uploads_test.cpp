// The pure pieces of uploads: byte ranges, the names and ids uploads keep, the stored form of
// a message's attachments and the rule on which uploads a message may carry, the content
// sniffing, and the bus form of a message with files.
#include <gtest/gtest.h>

#include "bus/codec.hpp"
#include "common/names.hpp"
#include "media/sniff.hpp"
#include "net/byte_range.hpp"
#include "store/rules.hpp"

namespace parley {
namespace {

TEST(ByteRange, OneRangeOfBytesIsServed) {
  ByteRange r;
  EXPECT_EQ(parse_range("bytes=10-19", 100, r), RangeAnswer::partial);
  EXPECT_EQ(r.first, 10);
  EXPECT_EQ(r.last, 19);
  EXPECT_EQ(parse_range("bytes=90-", 100, r), RangeAnswer::partial);
  EXPECT_EQ(r.last, 99);
  EXPECT_EQ(parse_range("bytes=90-500", 100, r), RangeAnswer::partial) << "the end is clamped to the file";
  EXPECT_EQ(r.last, 99);
  EXPECT_EQ(parse_range("bytes=-10", 100, r), RangeAnswer::partial);
  EXPECT_EQ(r.first, 90);
  EXPECT_EQ(parse_range("bytes=-500", 100, r), RangeAnswer::partial);
  EXPECT_EQ(r.first, 0);
  EXPECT_EQ(parse_range(" bytes=0-0 ", 1, r), RangeAnswer::partial);
  EXPECT_EQ(r.length(), 1);
}

TEST(ByteRange, WhatIsNotOneGoodRangeGetsTheWholeFileOr416) {
  ByteRange r;
  for (const char* h : {"", "bytes=", "bytes=a-b", "items=0-1", "bytes=5-2", "bytes=0-1,3-4", "bytes=--1", "bytes=1",
                        "bytes=+1-2", "bytes=99999999999999999999-"}) {
    EXPECT_EQ(parse_range(h, 100, r), RangeAnswer::whole) << h;
  }
  EXPECT_EQ(parse_range("bytes=100-", 100, r), RangeAnswer::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=-0", 100, r), RangeAnswer::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=0-", 0, r), RangeAnswer::unsatisfiable) << "an empty file has no byte 0";
}

TEST(UploadNames, IdsAreRandomAndChecked) {
  std::string a = new_upload_id(), b = new_upload_id();
  EXPECT_TRUE(valid_upload_id(a));
  EXPECT_NE(a, b);
  EXPECT_FALSE(valid_upload_id("short"));
  EXPECT_FALSE(valid_upload_id("AAAAAAAAAAAAAAAAAAAA/A"));
  EXPECT_FALSE(valid_upload_id("AAAAAAAAAAAAAAAAAAAAA."));
}

TEST(UploadNames, FileNamesKeepTheirLastComponentWithoutControlCharacters) {
  EXPECT_EQ(clean_file_name("report.pdf"), "report.pdf");
  EXPECT_EQ(clean_file_name("../../etc/passwd"), "passwd");
  EXPECT_EQ(clean_file_name("C:\\Users\\me\\cat.png"), "cat.png");
  EXPECT_EQ(clean_file_name("a\tb\nc.txt"), "a_b_c.txt");
  EXPECT_EQ(clean_file_name(""), "file");
  EXPECT_EQ(clean_file_name("dir/"), "file");
  EXPECT_EQ(clean_file_name(".."), "file");
  std::string long_name;
  for (int i = 0; i < 200; ++i) long_name += "\xc3\xa9";  // é, two bytes each
  auto kept = clean_file_name(long_name);
  EXPECT_LE(kept.size(), 255u);
  EXPECT_EQ(kept.size() % 2, 0u) << "cut between characters, never inside one";
}

TEST(Attachments, TheStoredColumnRoundTrips) {
  std::vector<Attachment> files{{"AAAAAAAAAAAAAAAAAAAAAA", "holiday photo é.png", "image/png", 1234, 640, 480, true},
                                {"BBBBBBBBBBBBBBBBBBBBBB", "notes.txt", "text/plain", 6, 0, 0, false}};
  auto back = rules::read_attachments_column(rules::attachments_column(files));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].name, "holiday photo é.png");
  EXPECT_EQ(back[0].width, 640);
  EXPECT_TRUE(back[0].thumb);
  EXPECT_EQ(back[1].type, "text/plain");
  EXPECT_EQ(back[1].size, 6);
  EXPECT_FALSE(back[1].thumb);
  EXPECT_TRUE(rules::read_attachments_column("").empty());
  EXPECT_TRUE(rules::read_attachments_column("garbage without tabs\n").empty());
}

TEST(Attachments, OnlyTheAuthorsUnsentUploadsAttach) {
  AppendRequest req;
  req.user = "alice";
  Upload mine;
  mine.owner = "alice";
  mine.file.id = "AAAAAAAAAAAAAAAAAAAAAA";
  EXPECT_TRUE(rules::attachable(req, mine.file.id, mine).ok());
  Upload theirs = mine;
  theirs.owner = "bob";
  EXPECT_EQ(rules::attachable(req, mine.file.id, theirs).status.code(), Status::Code::not_found);
  Upload sent = mine;
  sent.room = "general";
  sent.seq = 3;
  EXPECT_EQ(rules::attachable(req, mine.file.id, sent).status.code(), Status::Code::not_found);
  EXPECT_EQ(rules::attachable(req, mine.file.id, std::nullopt).status.code(), Status::Code::not_found);
}

TEST(Sniff, TheContentTellsTheType) {
  EXPECT_EQ(sniff_type(std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16)), "image/png");
  EXPECT_EQ(sniff_type("%PDF-1.4\n%\xe2\xe3\n"), "application/pdf");
  EXPECT_EQ(sniff_type("plain words\n"), "text/plain");
  EXPECT_EQ(sniff_type("<html><body>hi</body></html>"), "text/html");
  EXPECT_EQ(sniff_type(""), "application/octet-stream");
}

TEST(BusCodec, AttachmentsSurviveTheTrip) {
  ChatMessage m;
  m.room = "general";
  m.seq = 7;
  m.user = "alice";
  m.id = "f-1";
  m.attachments = {{"AAAAAAAAAAAAAAAAAAAAAA", "a b.png", "image/png", 99, 10, 20, true}};
  RoomEvent back;
  ASSERT_EQ(bus_codec::decode("general", bus_codec::encode(RoomEvent{"general", MessageStored{m, 1}, "n1"}), back),
            bus_codec::Decoded::ok);
  const auto& files = std::get<MessageStored>(back.payload).message.attachments;
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].name, "a b.png");
  EXPECT_EQ(files[0].height, 20);
  EXPECT_TRUE(files[0].thumb);
}

}  // namespace
}  // namespace parley
