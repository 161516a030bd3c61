# Figures are sums over notices and orders: whoever reads notices reads them (ISP accounts do not).
READ_FIGURES = "notices.view_notice"
