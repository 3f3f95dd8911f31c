import TestSupport

/// A self-signed certificate for "localhost" and its key, as PEM files in `folder`, for the fault proxy's TLS.
func localhostCertificate(in folder: String) throws -> (certificate: String, key: String) {
    let certificate = folder + "/cert.pem", key = folder + "/key.pem"
    _ = try PythonTool.run("import subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True)", arguments: [
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", certificate,
    ])
    return (certificate, key)
}
