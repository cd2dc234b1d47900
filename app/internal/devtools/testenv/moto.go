package testenv

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Moto is a private moto_server (AWS API emulator).
type Moto struct {
	Port     int
	Endpoint string // http://127.0.0.1:port
	p        proc
}

// StartMoto starts moto_server on a free port and waits until it answers.
func StartMoto(ctx context.Context, dir string) (*Moto, error) {
	bin, err := lookPath("moto_server")
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	m := &Moto{Port: port, Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port)}
	logPath := filepath.Join(dir, "moto.log")
	if err := m.p.start(bin, []string{"-H", "127.0.0.1", "-p", strconv.Itoa(port)}, logPath, nil, nil); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m.Endpoint+"/moto-api/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			return m, nil
		}
		select {
		case <-ctx.Done():
			m.Stop()
			return nil, fmt.Errorf("moto_server did not start: %w\n%s", ctx.Err(), tail(logPath, 20))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop stops the server.
func (m *Moto) Stop() { m.p.signal(syscall.SIGTERM, 10*time.Second) }
