package testenv

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestPostgresStartsStopsAndRestarts(t *testing.T) {
	pg := PostgresT(t)
	psql := func() (string, error) {
		out, err := exec.Command(filepath.Join(pg.bin, "psql"), "-h", "127.0.0.1", "-p", strconv.Itoa(pg.Port), "-U", "chess", "-d", "chess", "-Atc", "select 40+2").CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	out, err := psql()
	if err != nil || out != "42" {
		t.Fatalf("query: %q %v", out, err)
	}
	pg.Stop()
	if _, err := psql(); err == nil {
		t.Fatal("query succeeded while stopped")
	}
	if err := pg.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if out, err := psql(); err != nil || out != "42" {
		t.Fatalf("after restart: %q %v", out, err)
	}
}

func TestRedisRestartLosesData(t *testing.T) {
	r := RedisT(t)
	cmd := func(args ...string) string {
		c, err := net.DialTimeout("tcp", r.Addr, time.Second)
		if err != nil {
			return "ERR " + err.Error()
		}
		defer c.Close()
		var b strings.Builder
		b.WriteString("*" + strconv.Itoa(len(args)) + "\r\n")
		for _, a := range args {
			b.WriteString("$" + strconv.Itoa(len(a)) + "\r\n" + a + "\r\n")
		}
		_, _ = c.Write([]byte(b.String()))
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		buf := make([]byte, 64)
		n, _ := c.Read(buf)
		return string(buf[:n])
	}
	if got := cmd("SET", "k", "v"); got != "+OK\r\n" {
		t.Fatalf("SET: %q", got)
	}
	r.Stop()
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := cmd("GET", "k"); got != "$-1\r\n" {
		t.Fatalf("GET after restart: %q, want nil", got)
	}
}
