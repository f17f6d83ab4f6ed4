// Command etcd is the etcd server, built from go.etcd.io/etcd/server/v3 at the version
// pinned in tests/cluster/versions.env. It exists only so the wrapper module can build it
// with the same Go toolchain and build cache as the Kubernetes binaries.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
