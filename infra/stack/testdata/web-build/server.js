// stand-in for the Next.js standalone server of a test build
