// Command chess-infra is the Pulumi program of the chess platform: it loads the typed stack
// configuration, builds the stack and exports its outputs. Everything else lives in infra/.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"chessplatform/infra/config"
	"chessplatform/infra/stack"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg, err := config.Load(ctx)
		if err != nil {
			return err
		}
		s, err := stack.Build(ctx, cfg)
		if err != nil {
			return err
		}
		s.Export(ctx)
		return nil
	})
}
