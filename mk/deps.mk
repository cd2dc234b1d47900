# What the tests need on a Debian machine: scripts/deps.sh installs the missing Debian packages
# (apt-get, through sudo only when not root) and names, one line each, the tools Debian cannot
# provide (Go, Node, moto_server, the AWS CLI). `make test` runs it first (see the Makefile);
# when everything is present it prints one line. CI (.ci/run) runs the same script.
.PHONY: deps
deps: ## install what `make test` needs (Debian packages) or name what must be installed by hand
	@scripts/deps.sh
