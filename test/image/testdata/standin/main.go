// Command standin is the linux/arm64 binary of the image test: a
// cross-compiled cloud-controller-manager would cost a full build of every
// dependency for arm64 on each cold `make test`, while what the test checks
// for that platform (index entry, config, layers, ELF machine) does not
// depend on the binary. `make image` builds the real one.
package main

import "fmt"

func main() { fmt.Println("standin") }
