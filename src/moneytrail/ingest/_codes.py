"""Code lists readers map to: ISO 4217 currencies and payment channels."""

from __future__ import annotations

# Active ISO 4217 codes, plus XBT (bitcoin, the de-facto code used by banks).
ISO_CURRENCIES: frozenset[str] = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP
    GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS
    KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR
    MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF
    SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD
    TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG XBT""".split()
)

# Currency names used by the IBM AML data sets (AMLworld), mapped to codes.
AML_CURRENCY_NAMES: dict[str, str] = {
    "US Dollar": "USD",
    "Euro": "EUR",
    "Yuan": "CNY",
    "UK Pound": "GBP",
    "Rupee": "INR",
    "Yen": "JPY",
    "Bitcoin": "XBT",
    "Australian Dollar": "AUD",
    "Canadian Dollar": "CAD",
    "Swiss Franc": "CHF",
    "Mexican Peso": "MXN",
    "Brazil Real": "BRL",
    "Saudi Riyal": "SAR",
    "Shekel": "ILS",
    "Ruble": "RUB",
}

# AMLworld payment formats, mapped to canonical channels.
AML_PAYMENT_FORMATS: dict[str, str] = {
    "ACH": "ach",
    "Cheque": "cheque",
    "Credit Card": "card",
    "Wire": "wire",
    "Cash": "cash",
    "Reinvestment": "reinvestment",
    "Bitcoin": "crypto",
}
