# Documents: every relative link of every .md file resolves inside the repository and no document
# points at material a clone does not have (docs/links_test.go), and docs/protocol.md names every
# message type, error code and limit of the protocol (app/internal/protocol/doc_test.go). Both
# also run under test-go.
.PHONY: lint-docs
LINT_TARGETS += lint-docs

lint-docs: ## Markdown links stay inside the repository; docs/protocol.md covers the protocol
	$(GO) test -count=1 -run 'TestMarkdownLinksStayInRepository|TestLinkChecker' ./docs/
	$(GO) test -count=1 -run 'TestProtocolDocNamesEveryMessage' ./app/internal/protocol/
