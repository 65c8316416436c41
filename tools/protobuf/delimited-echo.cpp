// Reads a control stream (varint-delimited ControlFrame protobufs, docs/CONTROL.md §1) from stdin
// with Google's own delimited reader, the way a C++ peer would, and writes each frame back with
// Google's delimited writer to the file named by argv[1]. Prints one line per frame:
// "<body field> <request_id> <the frame as protobuf text>". Exits 1 at the first frame it cannot
// parse, 0 at a clean end of stream. Built by build.sh; used by the interop tests.
#include <fstream>
#include <iostream>

#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/util/delimited_message_util.h>

#include "control.pb.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: delimited-echo OUT_FILE < stream\n";
    return 2;
  }
  std::ofstream out(argv[1], std::ios::binary);
  google::protobuf::io::IstreamInputStream input(&std::cin);
  syfala::control::v1::ControlFrame frame;
  for (int index = 0;; ++index) {
    bool clean_eof = false;
    frame.Clear();  // the reader merges into the message it is given
    if (!google::protobuf::util::ParseDelimitedFromZeroCopyStream(&frame, &input, &clean_eof)) {
      if (clean_eof) return 0;
      std::cerr << "frame " << index << ": not a delimited ControlFrame\n";
      return 1;
    }
    const auto* body = frame.GetDescriptor()->FindOneofByName("body");
    const auto* field = frame.GetReflection()->GetOneofFieldDescriptor(frame, body);
    std::cout << (field == nullptr ? "(none)" : field->name()) << ' ' << frame.request_id() << ' '
              << frame.ShortDebugString() << '\n';
    google::protobuf::util::SerializeDelimitedToOstream(frame, &out);
  }
}
