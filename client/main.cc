#include <iostream>
#include <string>
#include <vector>

#include "adapters/library_logging.h"
#include "client/cli.h"

int main(int argc, char** argv) {
  hbprep::RouteLibraryLogging();  // libpng's and OpenCV's messages as "hbprep: ..." lines
  std::vector<std::string> args(argv + 1, argv + argc);
  return hbprep::RunCli(args, std::cout, std::cerr);
}
