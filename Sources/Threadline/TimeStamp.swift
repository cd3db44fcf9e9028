import Crypto
import Foundation
import SwiftASN1
import TransparencyLog
@_spi(FixedExpiryValidationTime) import X509

/// RFC 3161 time-stamps over checkpoints (`Specs/16-anchors.md`): the request a TSA answers, and the checks of
/// its reply — status, message imprint, nonce, the CMS signature (RFC 5652) over the TSTInfo, and the TSA
/// certificate's chain to a trusted root with the timeStamping purpose.
public enum TimeStamp {
    static let sha256: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 1]
    static let signedData: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 7, 2]
    static let tstInfo: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 9, 16, 1, 4]
    static let contentTypeAttribute: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 9, 3]
    static let messageDigestAttribute: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 9, 4]
    static let ecdsaWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 2]
    static let ecdsaWithSHA384: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 3]
    static let sha256WithRSA: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 1, 11]
    static let rsaEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 1, 1]

    /// A time-stamp request (RFC 3161 §2.4.1): SHA-256 imprint, a nonce, and a request for the TSA's certificate.
    public struct Request: Sendable, Equatable {
        public let imprint: [UInt8]
        public let nonce: Int64

        public init(imprint: [UInt8], nonce: Int64) {
            self.imprint = imprint
            self.nonce = nonce
        }

        /// The DER `TimeStampReq`.
        public var der: [UInt8] {
            var serializer = DER.Serializer()
            // Serializing integers, a boolean and an octet string into a fresh serializer cannot fail.
            try! serializer.appendConstructedNode(identifier: .sequence) { s in
                try s.serialize(1)
                try TimeStamp.serializeImprint(imprint, into: &s)
                try s.serialize(nonce)
                try s.serialize(true)
            }
            return serializer.serializedBytes
        }

        /// Parses a DER `TimeStampReq` with a SHA-256 imprint and a nonce.
        public init(der: [UInt8]) throws {
            do {
                var imprint: [UInt8] = []
                var nonce: Int64?
                try DER.sequence(try DER.parse(der), identifier: .sequence) { nodes in
                    _ = try Int(derEncoded: &nodes)
                    imprint = try TimeStamp.parseImprint(&nodes)
                    while let node = nodes.next() {
                        if node.identifier == .integer { nonce = try Int64(derEncoded: node) }
                    }
                }
                guard let nonce else { throw EngineError(.timestampNonce, "the request has no nonce") }
                self.init(imprint: imprint, nonce: nonce)
            } catch let error as EngineError { throw error } catch {
                throw EngineError(.timestampRequest, "not an RFC 3161 time-stamp request: \(error)")
            }
        }
    }

    static func serializeImprint(_ imprint: [UInt8], into s: inout DER.Serializer) throws {
        try s.appendConstructedNode(identifier: .sequence) { s in
            try s.appendConstructedNode(identifier: .sequence) { s in
                try s.serialize(TimeStamp.sha256)
                try s.serialize(ASN1Null())
            }
            try s.serialize(ASN1OctetString(contentBytes: imprint[...]))
        }
    }

    static func parseImprint(_ nodes: inout ASN1NodeCollection.Iterator) throws -> [UInt8] {
        guard let node = nodes.next() else { throw EngineError(.timestampImprint, "no message imprint") }
        return try DER.sequence(node, identifier: .sequence) { inner in
            let algorithm = try TimeStamp.algorithm(try inner.required())
            guard algorithm == TimeStamp.sha256 else {
                throw EngineError(.timestampImprint, "the message imprint is not SHA-256")
            }
            return Array(try ASN1OctetString(derEncoded: &inner).bytes)
        }
    }

    /// The OID of an AlgorithmIdentifier, whatever its parameters.
    static func algorithm(_ node: ASN1Node) throws -> ASN1ObjectIdentifier {
        try DER.sequence(node, identifier: .sequence) { nodes in
            let oid = try ASN1ObjectIdentifier(derEncoded: &nodes)
            while nodes.next() != nil {}
            return oid
        }
    }

    /// A verified time-stamp token.
    public struct Token: Sendable {
        /// The `TimeStampToken` (a CMS ContentInfo), DER.
        public let der: [UInt8]
        /// When the TSA says it saw the imprint.
        public let time: Date
        public let serial: [UInt8]
        public let nonce: Int64?
        public let imprint: [UInt8]
        /// The TSA certificate's subject.
        public let tsa: String
        let signer: Certificate
        let intermediates: [Certificate]
    }

    /// The token inside a `TimeStampResp`, if the TSA granted the request.
    public static func token(fromResponse der: [UInt8]) throws -> [UInt8] {
        do {
            return try DER.sequence(try DER.parse(der), identifier: .sequence) { nodes in
                let status = try DER.sequence(try nodes.required(), identifier: .sequence) { inner in
                    try Int(derEncoded: &inner)
                }
                guard status == 0 || status == 1 else {
                    throw EngineError(.timestampStatus, "the TSA refused the request (PKIStatus \(status))")
                }
                guard let token = nodes.next() else { throw EngineError(.timestampToken, "the reply has no token") }
                return Array(token.encodedBytes)
            }
        } catch let error as EngineError { throw error } catch {
            throw EngineError(.timestampReply, "not an RFC 3161 time-stamp reply: \(error)")
        }
    }

    /// Checks a token's content and CMS signature (not yet the certificate chain): the imprint, the nonce if
    /// `nonce` is given, the signed attributes and the signature by the included TSA certificate.
    public static func parse(token der: [UInt8], imprint: [UInt8], nonce: Int64?) throws -> Token {
        do {
            return try parseChecked(der, imprint: imprint, nonce: nonce)
        } catch let error as EngineError { throw error } catch {
            throw EngineError(.timestampToken, "the time-stamp token does not parse: \(error)")
        }
    }

    private static func parseChecked(_ der: [UInt8], imprint: [UInt8], nonce: Int64?) throws -> Token {
        let content = try SignedData(der)
        let info = try TSTInfo(content.eContent)
        guard info.imprint == imprint else {
            throw EngineError(.timestampImprint, "the token's message imprint is not the checkpoint's hash")
        }
        if let nonce, info.nonce != nonce {
            throw EngineError(.timestampNonce, "the token's nonce is not the request's")
        }
        let signer = try content.verifiedSigner()
        return Token(
            der: der, time: info.time, serial: info.serial, nonce: info.nonce, imprint: info.imprint,
            tsa: signer.subject.description,
            signer: signer, intermediates: content.certificates.filter { $0 != signer })
    }

    /// A time-stamp token's CMS SignedData (RFC 5652 §5): the encapsulated TSTInfo, the certificates, and the one
    /// signer's serial, signed attributes, algorithms and signature.
    private struct SignedData {
        var eContent: [UInt8] = []
        var certificates: [Certificate] = []
        var signerSerial: ArraySlice<UInt8> = []
        var signedAttributes: ASN1Node?
        var signatureAlgorithm = TimeStamp.sha256
        var digestAlgorithm = TimeStamp.sha256
        var signature: [UInt8] = []

        init(_ der: [UInt8]) throws {
            try DER.sequence(try DER.parse(der), identifier: .sequence) { nodes in
                guard try ASN1ObjectIdentifier(derEncoded: &nodes) == signedData else {
                    throw EngineError(.timestampToken, "the token is not CMS SignedData")
                }
                try DER.explicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) { content in
                    try DER.sequence(content, identifier: .sequence) { try read(&$0) }
                }
            }
        }

        /// version, digestAlgorithms, encapContentInfo, [0] certificates, [1] crls, signerInfos.
        private mutating func read(_ sd: inout ASN1NodeCollection.Iterator) throws {
            _ = try Int(derEncoded: &sd)
            _ = sd.next()  // digestAlgorithms
            try DER.sequence(try sd.required(), identifier: .sequence) { encap in
                guard try ASN1ObjectIdentifier(derEncoded: &encap) == tstInfo else {
                    throw EngineError(.timestampToken, "the token's content is not a TSTInfo")
                }
                try DER.explicitlyTagged(&encap, tagNumber: 0, tagClass: .contextSpecific) { octets in
                    eContent = Array(try ASN1OctetString(derEncoded: octets).bytes)
                }
            }
            var next = sd.next()
            if let node = next, node.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
                guard case .constructed(let children) = node.content else {
                    throw EngineError(.timestampToken, "bad certificates")
                }
                certificates = try children.map { try Certificate(derEncoded: Array($0.encodedBytes)) }
                next = sd.next()
            }
            if let node = next, node.identifier == ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific) {
                next = sd.next()
            }
            guard let infos = next, case .constructed(let signerSet) = infos.content,
                let signerNode = signerSet.first(where: { _ in true })
            else {
                throw EngineError(.timestampToken, "the token has no signer")
            }
            try DER.sequence(signerNode, identifier: .sequence) { try readSigner(&$0) }
        }

        /// SignerInfo: version, sid (issuer and serial), digestAlgorithm, [0] signedAttrs, signatureAlgorithm,
        /// signature.
        private mutating func readSigner(_ si: inout ASN1NodeCollection.Iterator) throws {
            _ = try Int(derEncoded: &si)
            try DER.sequence(try si.required(), identifier: .sequence) { sid in
                _ = sid.next()  // issuer
                guard case .primitive(let serial) = try sid.required().content else {
                    throw EngineError(.timestampToken, "bad signer serial")
                }
                signerSerial = serial
            }
            digestAlgorithm = try TimeStamp.algorithm(try si.required())
            var node = try si.required()
            if node.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
                signedAttributes = node
                node = try si.required()
            }
            signatureAlgorithm = try TimeStamp.algorithm(node)
            signature = Array(try ASN1OctetString(derEncoded: &si).bytes)
        }

        /// The signer's certificate, once its signature verifies over the DER SET of the signed attributes, which
        /// must name the TSTInfo and its digest.
        func verifiedSigner() throws -> Certificate {
            guard let signedAttributes, digestAlgorithm == sha256 else {
                throw EngineError(.timestampSignature, "the token has no signed attributes with a SHA-256 digest")
            }
            var attributes: [ASN1ObjectIdentifier: ASN1Node] = [:]
            guard case .constructed(let attributeNodes) = signedAttributes.content else {
                throw EngineError(.timestampSignature, "bad signed attributes")
            }
            for attribute in attributeNodes {
                try DER.sequence(attribute, identifier: .sequence) { a in
                    let type = try ASN1ObjectIdentifier(derEncoded: &a)
                    guard case .constructed(let values) = try a.required().content,
                        let value = values.first(where: { _ in true })
                    else { return }
                    attributes[type] = value
                }
            }
            guard let contentType = attributes[contentTypeAttribute],
                try ASN1ObjectIdentifier(derEncoded: contentType) == tstInfo,
                let digest = attributes[messageDigestAttribute],
                Array(try ASN1OctetString(derEncoded: digest).bytes) == Array(SHA256.hash(data: eContent))
            else {
                throw EngineError(.timestampSignature, "the signed attributes do not commit to this TSTInfo")
            }
            // The serial as DER has it keeps a zero byte before a high bit (the integer is positive); the
            // certificate's, as swift-certificates reads it, has every leading zero byte dropped.
            let serial = Array(signerSerial.drop(while: { $0 == 0 }))
            guard
                let signer = certificates.first(where: {
                    Array($0.serialNumber.bytes.drop(while: { $0 == 0 })) == serial
                })
            else {
                throw EngineError(.timestampCertificate, "the token does not include its signer's certificate")
            }
            var signed = Array(signedAttributes.encodedBytes)
            signed[0] = 0x31  // [0] IMPLICIT → SET OF (RFC 5652 §5.4)
            let algorithm: Certificate.SignatureAlgorithm
            switch signatureAlgorithm {
            case ecdsaWithSHA256: algorithm = .ecdsaWithSHA256
            case ecdsaWithSHA384: algorithm = .ecdsaWithSHA384
            case sha256WithRSA, rsaEncryption: algorithm = .sha256WithRSAEncryption
            default: throw EngineError(.timestampSignature, "unsupported signature algorithm \(signatureAlgorithm)")
            }
            guard signer.publicKey.isValidSignature(signature, for: signed, signatureAlgorithm: algorithm) else {
                throw EngineError(.timestampSignature, "the TSA's signature does not verify")
            }
            return signer
        }
    }

    /// The TSTInfo (RFC 3161 §2.4.2): version, policy, imprint, serial, genTime, then optional accuracy, ordering,
    /// nonce, tsa.
    private struct TSTInfo {
        var imprint: [UInt8] = []
        var serial: [UInt8] = []
        var time = Date(timeIntervalSince1970: 0)
        var nonce: Int64?

        init(_ der: [UInt8]) throws {
            try DER.sequence(try DER.parse(der), identifier: .sequence) { nodes in
                _ = try Int(derEncoded: &nodes)
                _ = try ASN1ObjectIdentifier(derEncoded: &nodes)
                imprint = try parseImprint(&nodes)
                guard case .primitive(let bytes) = try nodes.required().content else {
                    throw EngineError(.timestampTSTInfo, "bad serial")
                }
                serial = Array(bytes)
                let generalized = try GeneralizedTime(derEncoded: &nodes)
                var components = DateComponents()
                components.timeZone = TimeZone(identifier: "UTC")
                (components.year, components.month, components.day) = (
                    generalized.year, generalized.month, generalized.day
                )
                (components.hour, components.minute, components.second) = (
                    generalized.hours, generalized.minutes, generalized.seconds
                )
                time = Calendar(identifier: .gregorian).date(from: components) ?? time
                while let node = nodes.next() {
                    if node.identifier == .integer { nonce = try Int64(derEncoded: node) }
                }
            }
        }
    }

    /// Checks that the token's signer chains to one of `roots` at the token's time, with the timeStamping purpose.
    public static func verifyChain(_ token: Token, roots: [Certificate]) async throws {
        var verifier = Verifier(rootCertificates: CertificateStore(roots)) {
            RFC5280Policy(fixedExpiryValidationTime: token.time)
            TimeStampingPolicy()
        }
        let result = await verifier.validate(
            leaf: token.signer, intermediates: CertificateStore(token.intermediates))
        guard case .validCertificate = result else {
            throw EngineError(
                .timestampChain,
                "the TSA certificate does not chain to the given root with the timeStamping purpose at \(token.time)")
        }
    }

    /// The leaf must be for time-stamping (RFC 3161 §2.3: extended key usage id-kp-timeStamping, critical).
    struct TimeStampingPolicy: VerifierPolicy {
        let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.extendedKeyUsage]

        func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult {
            guard let usage = try? chain.leaf.extensions.extendedKeyUsage, usage.contains(.timeStamping) else {
                return .failsToMeetPolicy(reason: "the TSA certificate is not for time-stamping")
            }
            return .meetsPolicy
        }
    }

    /// Certificates from PEM text.
    public static func certificates(pem: String) throws -> [Certificate] {
        let documents = try PEMDocument.parseMultiple(pemString: pem)
        return try documents.map { try Certificate(pemDocument: $0) }
    }
}

extension ASN1NodeCollection.Iterator {
    /// The next node; a reply or token that ends early is refused, not trusted to be well formed (it comes from
    /// outside: any TSA, or anyone who hands `anchor store` a file).
    mutating func required() throws -> ASN1Node {
        guard let node = next() else {
            throw EngineError(.timestampToken, "the DER ends where another element was expected")
        }
        return node
    }
}
