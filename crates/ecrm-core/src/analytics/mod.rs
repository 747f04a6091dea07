//! Customer-value models: RFM, BG/NBD, Gamma-Gamma and CLV (functions over values).
