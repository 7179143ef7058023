//go:build tools

// The build runs upstream's generate.go (package main, build tag ignore) in
// this module, so its one import must be in go.mod and go.sum too.
package main

import _ "github.com/pulumi/pulumi/pkg/v3/codegen/schema"
