package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFlagErrorsNameTheFlag(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "usage"},
		{[]string{"fly"}, "unknown command"},
		{[]string{"run"}, "-url:"},
		{[]string{"run", "-url", "http://127.0.0.1:1", "-games", "0"}, "-games:"},
		{[]string{"run", "-url", "http://127.0.0.1:1", "-mode", "fast"}, "-mode:"},
		{[]string{"run", "-url", "http://127.0.0.1:1", "-games", "10", "-rate", "5000"}, "-rate:"},
		{[]string{"run", "-url", "http://127.0.0.1:1", "-rate", "1000,x"}, "-rate"},
		{[]string{"run", "-url", "http://127.0.0.1:1", "-tc", "blitz"}, "-tc:"},
		{[]string{"run", "-url", "http://127.0.0.1:1", "-server-pid", "-3"}, "-server-pid:"},
		{[]string{"run", "-url", "http://127.0.0.1:1", "extra"}, "unexpected arguments"},
		{[]string{"idle", "-url", "http://127.0.0.1:1"}, "-server-pid:"},
		{[]string{"idle", "-url", "http://127.0.0.1:1", "-server-pid", "1", "-conns", "0"}, "-conns:"},
		{[]string{"bench", "-ladder", "100"}, "-ladder"},
		{[]string{"bench", "-ladder", "10x5000"}, "-rate:"},
		{[]string{"bench", "-server-env", "NOVALUE"}, "-server-env"},
		{[]string{"bench", "-profile-for", "1h"}, "-profile-for"},
		{[]string{"bench", "-transport", "carrier-pigeon"}, "-transport \"carrier-pigeon\": must be direct or apigw"},
		{[]string{"run", "-url", "http://127.0.0.1:1", "-ws-url", "ws://gw/ws"}, "-ws-url:"},
		{[]string{"plot"}, "-in:"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(tt.args, &out, &errOut)
			require.Error(t, err)
			assert.Contains(t, err.Error()+errOut.String(), tt.want)
		})
	}
}

func TestPlotRedrawsFromResults(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "r.json")
	require.NoError(t, os.WriteFile(in, []byte(`{"rungs":[{"games":10,"rate":50,"mode":"open","result":{"steps":[{"offeredMovesPerSec":50,"achievedMovesPerSec":50,"push":{"count":10,"p99Ms":5}}],"integrity":{"checked":true}}}]}`), 0o644))
	var out, errOut bytes.Buffer
	require.NoError(t, run([]string{"plot", "-in", in, "-out-dir", dir}, &out, &errOut))
	assert.Contains(t, out.String(), "best sustained: 50 moves/s")
	for _, f := range []string{"latency.svg", "memory.svg"} {
		_, err := os.Stat(filepath.Join(dir, f))
		assert.NoError(t, err)
	}
}
