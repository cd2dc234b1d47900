package loadgen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/<pid>/stat: 100 on every Linux
// architecture Go supports (the kernel fixes it for the ABI).
const clockTicks = 100

// ProcSample is the resource use of a process, or of a process and its children (PostgreSQL's
// backends are children of the postmaster).
type ProcSample struct {
	CPUSeconds float64 `json:"cpuSeconds"` // utime+stime
	RSSBytes   int64   `json:"rssBytes"`
	Procs      int     `json:"procs"`
}

// SampleProc reads /proc for pid, and with children also for the processes whose parent is pid.
func SampleProc(pid int, children bool) (ProcSample, error) {
	var s ProcSample
	pids := []int{pid}
	if children {
		kids, err := childrenOf(pid)
		if err != nil {
			return s, err
		}
		pids = append(pids, kids...)
	}
	for i, p := range pids {
		cpu, _, err := readStat(p)
		if err != nil {
			if i == 0 {
				return s, err
			}
			continue // a child that just exited
		}
		rss, err := readRSS(p)
		if err != nil {
			if i == 0 {
				return s, err
			}
			continue
		}
		s.CPUSeconds += cpu
		s.RSSBytes += rss
		s.Procs++
	}
	return s, nil
}

// readStat returns utime+stime in seconds and the parent pid.
func readStat(pid int) (cpu float64, ppid int, err error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, 0, fmt.Errorf("reading /proc/%d/stat: %w", pid, err)
	}
	// The command name (field 2) may hold spaces and parentheses: fields restart after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: no command field", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	ppid, err1 := strconv.Atoi(f[1])
	ut, err2 := strconv.ParseInt(f[11], 10, 64)
	st, err3 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, 0, fmt.Errorf("/proc/%d/stat: malformed numbers", pid)
	}
	return float64(ut+st) / clockTicks, ppid, nil
}

// readRSS returns VmRSS from /proc/<pid>/status in bytes.
func readRSS(pid int) (int64, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, fmt.Errorf("reading /proc/%d/status: %w", pid, err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) != 2 || f[1] != "kB" {
				return 0, fmt.Errorf("/proc/%d/status: VmRSS %q", pid, v)
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/%d/status: VmRSS %q", pid, v)
			}
			return kb << 10, nil
		}
	}
	return 0, nil // kernel threads and zombies have no VmRSS
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) ([]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("listing /proc: %w", err)
	}
	var out []int
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil || p == pid {
			continue
		}
		if _, ppid, err := readStat(p); err == nil && ppid == pid {
			out = append(out, p)
		}
	}
	return out, nil
}

// LoadAvg returns the 1, 5 and 15 minute load averages.
func LoadAvg() ([3]float64, error) {
	var la [3]float64
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return la, fmt.Errorf("reading /proc/loadavg: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return la, fmt.Errorf("/proc/loadavg: %q", b)
	}
	for i := range la {
		if la[i], err = strconv.ParseFloat(f[i], 64); err != nil {
			return la, fmt.Errorf("/proc/loadavg: %q", b)
		}
	}
	return la, nil
}
