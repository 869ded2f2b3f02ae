package org.opencluster.protocol.pki;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.SignatureException;
import java.security.cert.CertificateException;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.x509.Extensions;
import org.opencluster.protocol.crypto.EcKeys;

/**
 * A PKCS#10 certificate signing request for an OpenCluster identity: the key pair stays with its
 * owner; only the public key, the requested identity and a signature proving possession of the
 * private key travel.
 */
public final class CertificateRequest {

  private final PKCS10CertificationRequest request;
  private final Identity requestedIdentity;
  private final PublicKey publicKey;

  private CertificateRequest(PKCS10CertificationRequest request, Identity requestedIdentity, PublicKey publicKey) {
    this.request = request;
    this.requestedIdentity = requestedIdentity;
    this.publicKey = publicKey;
  }

  /** A request for {@code identity}, signed with {@code keys}' private key. */
  public static CertificateRequest create(KeyPair keys, Identity identity) throws InvalidKeyException {
    EcKeys.requireP256(keys.getPrivate());
    try {
      ExtensionsGenerator extensions = new ExtensionsGenerator();
      extensions.addExtension(Extension.subjectAlternativeName, false,
          new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, identity.toString())));
      PKCS10CertificationRequest request = new JcaPKCS10CertificationRequestBuilder(
              new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, identity.name()).build(), keys.getPublic())
          .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
          .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
      return new CertificateRequest(request, identity, keys.getPublic());
    } catch (IOException | OperatorCreationException e) {
      throw new IllegalStateException("certificate request could not be built", e);
    }
  }

  /**
   * Reads a DER-encoded request.
   *
   * @throws CertificateException if it is malformed, its key is not P-256, or it does not ask for
   *     exactly one OpenCluster identity
   */
  public static CertificateRequest fromDer(byte[] der) throws CertificateException {
    PKCS10CertificationRequest request;
    PublicKey key;
    try {
      request = new PKCS10CertificationRequest(der);
      key = new JcaPKCS10CertificationRequest(request).getPublicKey();
      EcKeys.requireValidPublicKey(key);
    } catch (IOException | IllegalArgumentException | ClassCastException e) {
      throw new CertificateException("malformed certificate request", e);
    } catch (GeneralSecurityException e) {
      throw new CertificateException("certificate request key refused: " + e.getMessage(), e);
    }
    return new CertificateRequest(request, requestedIdentity(request), key);
  }

  /**
   * @throws SignatureException if the request is not signed with ECDSA/SHA-256 by the private key
   *     of its public key
   */
  public void verifyProofOfPossession() throws SignatureException {
    if (!X9ObjectIdentifiers.ecdsa_with_SHA256.equals(request.getSignatureAlgorithm().getAlgorithm())) {
      throw new SignatureException("certificate request must be signed with ECDSA/SHA-256, not "
          + request.getSignatureAlgorithm().getAlgorithm());
    }
    try {
      if (!request.isSignatureValid(new JcaContentVerifierProviderBuilder().build(publicKey))) {
        throw new SignatureException("certificate request signature does not verify");
      }
    } catch (OperatorCreationException | PKCSException e) {
      throw new SignatureException("certificate request signature could not be checked", e);
    }
  }

  public Identity requestedIdentity() {
    return requestedIdentity;
  }

  public PublicKey publicKey() {
    return publicKey;
  }

  public byte[] toDer() {
    try {
      return request.getEncoded();
    } catch (IOException e) {
      throw new IllegalStateException("certificate request could not be encoded", e);
    }
  }

  @Override
  public String toString() {
    return "CertificateRequest[" + requestedIdentity + "]";
  }

  private static Identity requestedIdentity(PKCS10CertificationRequest request) throws CertificateException {
    Attribute[] attributes = request.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest);
    if (attributes.length != 1 || attributes[0].getAttrValues().size() != 1) {
      throw new CertificateException("certificate request must carry exactly one extension request");
    }
    Extensions extensions = Extensions.getInstance(attributes[0].getAttrValues().getObjectAt(0));
    GeneralNames names = GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName);
    Identity identity = null;
    if (names != null) {
      for (GeneralName name : names.getNames()) {
        if (name.getTagNo() != GeneralName.uniformResourceIdentifier) {
          throw new CertificateException("certificate request may only ask for an OpenCluster identity URI");
        }
        if (identity != null) {
          throw new CertificateException("certificate request asks for more than one identity");
        }
        try {
          identity = Identity.parse(name.getName().toString());
        } catch (IllegalArgumentException e) {
          throw new CertificateException(e.getMessage(), e);
        }
      }
    }
    if (identity == null) {
      throw new CertificateException("certificate request asks for no OpenCluster identity");
    }
    return identity;
  }
}
