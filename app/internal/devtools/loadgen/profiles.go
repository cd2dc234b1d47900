package loadgen

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// fetchProfile saves a CPU profile of the backend.
func fetchProfile(ctx context.Context, pprofURL string, d time.Duration, path string) error {
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	u := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", pprofURL, int(d.Seconds()))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("CPU profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("CPU profile: HTTP %d", resp.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("CPU profile: %w", err)
	}
	return f.Close()
}

// fetchTrace saves an execution trace of the backend.
func fetchTrace(ctx context.Context, pprofURL string, d time.Duration, path string) error {
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	u := fmt.Sprintf("%s/debug/pprof/trace?seconds=%d", pprofURL, int(d.Seconds()))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("trace: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("trace: HTTP %d", resp.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("trace: %w", err)
	}
	return f.Close()
}

// traceTops turns the trace into blocking profiles (go tool trace -pprof=...) and writes their
// top lists as blocking-<kind>-top.txt in outDir.
func traceTops(ctx context.Context, goBin, tracePath, outDir string) (map[string]string, error) {
	out := map[string]string{}
	for _, kind := range []string{"syscall", "net", "sync", "sched"} {
		prof, err := exec.CommandContext(ctx, goBin, "tool", "trace", "-pprof="+kind, tracePath).Output()
		if err != nil {
			return out, fmt.Errorf("go tool trace -pprof=%s: %w", kind, err)
		}
		pp := tracePath + "." + kind + ".pprof"
		if err := os.WriteFile(pp, prof, 0o644); err != nil {
			return out, err
		}
		top, err := exec.CommandContext(ctx, goBin, "tool", "pprof", "-top", "-cum", "-nodecount=40", pp).Output()
		if err != nil {
			return out, fmt.Errorf("go tool pprof (%s): %w", kind, err)
		}
		path := filepath.Join(outDir, "blocking-"+kind+"-top.txt")
		if err := os.WriteFile(path, top, 0o644); err != nil {
			return out, err
		}
		out[kind] = path
	}
	return out, nil
}

// pprofTop writes the flat and cumulative top lists of the profile.
func pprofTop(ctx context.Context, goBin, serverBin string, p *Profile) error {
	for _, v := range []struct {
		path string
		args []string
	}{
		{p.Top, []string{"tool", "pprof", "-top", "-nodecount=40", serverBin, p.Raw}},
		{p.TopCum, []string{"tool", "pprof", "-top", "-cum", "-nodecount=60", serverBin, p.Raw}},
	} {
		out, err := exec.CommandContext(ctx, goBin, v.args...).Output()
		if err != nil {
			return fmt.Errorf("go tool pprof: %w", err)
		}
		if err := os.WriteFile(v.path, out, 0o644); err != nil {
			return err
		}
	}
	return nil
}
