// Package integration holds the end-to-end tests of the horizontally scaled backend: several
// chess-server processes (the real binary, built by the tests) against one real PostgreSQL and
// one real redis-server, all started by the tests on free loopback ports. The tests play games
// through the WebSocket protocol across instances and inject faults (kill -9 of an instance,
// a Redis restart that loses its data, a PostgreSQL outage), then check what every client saw
// and what PostgreSQL holds.
//
// The package has no production code; see the _test.go files. Environment:
//
//	CHESS_SERVER_RACE=1|0  build the server binary with or without -race; by default it
//	                       follows the test binary (go test -race, as `make test` runs it,
//	                       builds a race-detecting server). A race report or panic in any
//	                       server's log fails the test that ran it.
package integration
